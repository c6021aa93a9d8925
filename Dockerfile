# syntax=docker/dockerfile:1
# Lineside agent image: Node 24 LTS on Debian bookworm (slim), runs as the unprivileged `node` user.
# (package.json engines: ^22.18 || >=23.6, Node's type stripping without a flag.)
#   docker build -t lineside .
#   docker run -d --name lineside --restart unless-stopped --stop-timeout 30 \
#     -v /etc/lineside:/config:ro -v lineside-data:/data --env-file /etc/lineside/lineside.env lineside
# The config must set `agent.dataDir: /data`; install, HTTP access and upgrades: docs/OPERATIONS.md.

ARG NODE_VERSION=24

# --- build: install production dependencies, compiling native addons if no prebuild fits --------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 and @serialport/bindings-cpp fall back to node-gyp when no prebuilt binary
# matches the platform (arm64 line PCs, musl...): that needs Python, make and a C++ compiler.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Manifests first: the dependency layer is rebuilt only when they change, not on every code edit.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
# Node runs the TypeScript sources directly (type stripping): no compile step, the sources are the app.
# bin/lineside.js checks the Node version against package.json engines before loading any of them.
COPY bin ./bin
COPY agent ./agent
COPY drivers ./drivers
COPY config ./config
# The Sparkplug B .proto (loaded at run time by the Sparkplug destination) and the central ingest.
COPY vendor ./vendor
COPY ingest ./ingest
COPY scripts/compile-cache.js ./scripts/

# --- runtime: no compiler, no npm cache, not root -----------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim
# tini as PID 1 forwards signals and reaps zombies even when the container is started without
# --init (compose, Kubernetes, a forgotten flag), as the Node image's best practices advise.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# NODE_OPTIONS: 2 MiB semi-spaces instead of V8's up to 64 MiB young generation keep the agent smaller (as
# packaging/systemd/lineside.service, which gives the figures). MALLOC_ARENA_MAX: two glibc
# allocation pools, 3-5 MiB less. NODE_COMPILE_CACHE: where Node keeps compiled code, filled below.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=2 \
    MALLOC_ARENA_MAX=2 \
    NODE_COMPILE_CACHE=/var/cache/lineside
WORKDIR /app
# Owned by root and read-only to the agent: only /data (and the compile cache) is writable.
COPY --from=build /app /app
# /data holds the outbox, pipeline state and OPC UA certificates: it must outlive the container.
# A named volume takes this ownership; a bind mount must belong to uid 1000 (`node`).
RUN mkdir -p /data /config /var/cache/lineside && chown node:node /data /var/cache/lineside && chmod 0750 /data
USER node
# Compile every module once now, as the user that runs them: each container then starts without the
# TypeScript stripper, faster and ~20 MiB smaller for its whole life (Node ignores a stale or foreign
# cache entry and compiles afresh).
RUN node /app/scripts/compile-cache.js
VOLUME ["/data"]
EXPOSE 8710
LABEL org.opencontainers.image.title="Lineside" \
      org.opencontainers.image.description="Shop-floor edge gateway: OPC UA and Modbus in, states, downtime and OEE out over MQTT" \
      org.opencontainers.image.licenses="Apache-2.0"
# Node's own fetch, so the image needs no curl. /healthz answers without a token, on loopback or
# not (port 8710 unless http.port says otherwise; then change it here too).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8710/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The agent handles SIGTERM itself (graceful stop within agent.shutdownTimeout, 10 s by default):
# give `docker stop` more than that (--stop-timeout 30 / stop_grace_period: 30s); Docker's default is 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/lineside.js"]
CMD ["run", "--config", "/config/lineside.yaml"]

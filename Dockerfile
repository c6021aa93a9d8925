# syntax=docker/dockerfile:1
# Lineside agent image: Node 24 LTS on Debian bookworm (slim), runs as the unprivileged `node` user.
#   docker build -t lineside .
#   docker run -d --name lineside --init --restart unless-stopped \
#     -v /etc/lineside:/config:ro -v lineside-data:/data -p 127.0.0.1:8710:8710 lineside
# The config must set `agent.dataDir: /data`; see docs/OPERATIONS.md.

ARG NODE_VERSION=24

# --- build: install production dependencies, compiling native addons if no prebuild fits --------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY bin ./bin
COPY agent ./agent
COPY drivers ./drivers
COPY config ./config

# --- runtime: no compiler, no npm cache, not root -----------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
# /data holds the outbox, pipeline state and OPC UA certificates: it must outlive the container.
RUN mkdir -p /data /config && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8710
# Node's own fetch, so the image needs no curl. Bind http.host to 127.0.0.1 inside the container
# unless the port is published beyond the host (then set http.token).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8710/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The agent handles SIGTERM itself (graceful stop within agent.shutdownTimeout); run with --init
# (or tini) so a PID 1 reaps zombies. Give `docker stop -t` more than shutdownTimeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/lineside.js"]
CMD ["run", "--config", "/config/lineside.yaml"]

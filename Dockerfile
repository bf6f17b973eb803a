# One image for every service of the hub. docker-compose.yml (Compose Specification, `docker compose` v2) picks
# each service's role with `command`; without one, the image runs the whole hub in one process (`npm start`).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The code stays root's: the services read it and never write it. They write only into the data volume, which
# belongs to the image's non-root `node` user (the embedded database, its lock, the signing key). A named volume
# takes the owner of the folder it is first mounted on, so compose's `keys` volume (/var/lib/tiga/keys) is
# writable by the init step that makes the key.
RUN mkdir -p /var/lib/tiga/keys && chown -R node:node /var/lib/tiga && chmod 700 /var/lib/tiga/keys
ENV NODE_ENV=production HOST=0.0.0.0 TIGA_DATA_DIR=/var/lib/tiga APOLLO_TELEMETRY_DISABLED=true
VOLUME ["/var/lib/tiga"]
USER node
EXPOSE 4000
# Readiness of the whole hub (the gateway asks every subgraph); compose gives each service its own.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=12 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GATEWAY_PORT || 4000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1, so `docker stop` (SIGTERM) reaches the hub's graceful shutdown: no npm or tsx wrapper.
CMD ["node", "--import", "tsx", "hub/index.ts"]

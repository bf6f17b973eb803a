# One image for every service of the hub; docker-compose.yml picks the role with `command`.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV HOST=0.0.0.0 NODE_ENV=production
USER node
# node itself is PID 1, so `docker stop` (SIGTERM) reaches the hub's graceful shutdown: no npm or tsx wrapper.
CMD ["node", "--import", "tsx", "hub/index.ts"]

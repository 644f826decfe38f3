# syntax=docker/dockerfile:1
# Multi-stage image for every platestream process (ingest, worker, replay, notifier, CLI).
# The runtime stage has production dependencies only and runs as the unprivileged "node" user.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    LPR_MODEL_DIR=/models
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
RUN mkdir -p /models && chown node:node /models
USER node
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/platestream.js"]
CMD ["--help"]

# The metrics-collector server: `docker compose up -d --build` builds it (docker-compose.yml), and so does
# `docker build -t metrics-collector .`. It runs dist/main.js, the server bundled by scripts/build.mjs, with plain
# `node` (the server alone: `npm start` adds a local agent).

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its native addon with these when no prebuilt binary fits the platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The manifests first, so that the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY schema/package.json schema/
COPY server/package.json server/
COPY sdk/package.json sdk/
COPY console/package.json console/
# Dev dependencies are installed for esbuild, which builds the bundle.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/build-console.mjs scripts/
COPY common/ common/
COPY schema/ schema/
COPY server/ server/
# The web console (dist/console/) is built from its sources and the SDK's.
COPY sdk/ sdk/
COPY console/ console/
# The server alone (not dist/start.js, which bundles the agent's sources, not copied here), and the console.
RUN node scripts/build.mjs main read-thread write-thread console

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
  NPM_CONFIG_UPDATE_NOTIFIER=false \
  HOST=0.0.0.0 \
  PORT=8888 \
  DATA_DIR=/data
WORKDIR /app
# node_modules (graphql, pino, pg, postgres-migrations and the compiled better-sqlite3 stay imports of it) and
# dist/ (with dist/migrations/, PostgreSQL's), owned by root:
# the server only writes to /data.
COPY --from=build /app /app
RUN mkdir /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8888
# A non-loopback HOST needs API_TOKENS (or API_TOKENS_FILE); without them the server refuses to start.
# A young generation of up to 64 MiB per semi-space: requests waiting for their group commit die young
# instead of being promoted and marked (docs/deployment.md).
CMD ["node", "--max-semi-space-size=64", "dist/main.js"]

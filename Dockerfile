# syntax=docker/dockerfile:1
# One image definition for every service (the registry, services.json, says which build args each
# needs; docker-compose.yml passes them):
#   docker build --build-arg SERVICE=ledger -t finance-tracker/ledger .
#   docker build --build-arg SERVICE=reports --build-arg SYSTEM_PACKAGES="chromium fonts-dejavu-core fonts-liberation" -t finance-tracker/reports .
ARG NODE_IMAGE=node:22-bookworm-slim

# Every workspace's package.json (and nothing else), so the dependency layers below stay
# cached until a manifest changes. npm ci needs all of them to match the one lockfile.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /out \
 && cp package.json package-lock.json .npmrc /out/ \
 && find shared services -maxdepth 2 -name package.json -exec cp --parents {} /out/ \;

# Compile shared and the service (tsc -b follows the project reference to shared).
FROM ${NODE_IMAGE} AS build
ARG SERVICE
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<name> (see services.json)" >&2; exit 1)
WORKDIR /app
COPY --from=manifests /out/ ./
RUN npm ci
COPY tsconfig.base.json services.json ./
COPY scripts/ scripts/
COPY shared/ shared/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN npx tsc -b services/${SERVICE}/tsconfig.json && node scripts/copy-assets.js ${SERVICE}

# Production dependencies of the service and shared only (no npm-provided browser: the image
# uses Debian's chromium where a service renders PDFs).
FROM ${NODE_IMAGE} AS runtime-deps
ARG SERVICE
WORKDIR /app
COPY --from=manifests /out/ ./
RUN npm ci --omit=dev --omit=optional --workspace shared --workspace services/${SERVICE} \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ARG SERVICE
# Debian packages a service needs at run time (reports: chromium and fonts for the PDFs).
ARG SYSTEM_PACKAGES=""
RUN if [ -n "$SYSTEM_PACKAGES" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends $SYSTEM_PACKAGES \
      && rm -rf /var/lib/apt/lists/*; \
    fi
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    SERVICE=${SERVICE}
WORKDIR /app
# Owned by root and read-only for the service user: the code cannot be changed at run time.
COPY --from=runtime-deps /app/ ./
COPY services.json ./
COPY --from=build /app/shared/dist/ shared/dist/
COPY --from=build /app/services/${SERVICE}/dist/ services/${SERVICE}/dist/
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["sh", "-c", "exec node services/${SERVICE}/dist/main.js"]

# syntax=docker/dockerfile:1
# One image pattern for every service, built from the repository root:
#   docker build --build-arg SERVICE=auth -t microservice-template/auth .
# Stages: build (all dependencies, TypeScript compiled to JavaScript by deploy/docker/build.mjs),
# deps (production dependencies of that service only), runtime (node, non-root, no compiler).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
COPY packages ./packages
COPY services ./services
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY deploy/docker ./deploy/docker
ARG SERVICE
RUN test -n "$SERVICE" || { echo "pass --build-arg SERVICE=<name>" >&2; exit 1; } \
 && node deploy/docker/build.mjs "$SERVICE" /out

FROM ${NODE_IMAGE} AS deps
ARG SERVICE
WORKDIR /app
COPY --from=build /out/manifests ./
# Native modules (argon2, sharp) arrive as prebuilt optional packages: no install scripts needed.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace "services/$SERVICE" \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
# MALLOC_MMAP_THRESHOLD_: glibc's initial 128 KiB, fixed, so memory freed after start-up goes back
# to the system instead of being kept by a threshold raised to the largest block freed (see
# packages/launcher/src/processes.ts and docs/performance.md, idle memory).
ENV NODE_ENV=production \
    SERVICE_NAME=${SERVICE} \
    HOST=0.0.0.0 \
    PORT=8080 \
    MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=deps /app ./
COPY --from=build /out/app ./
# Files belong to root and are read-only for the service's user; nothing is written in the image
# (Kubernetes also mounts the root filesystem read-only).
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself; every service installs a handler that
# fails readiness, drains in-flight requests and exits within 10 s.
STOPSIGNAL SIGTERM
CMD ["node", "main.js"]

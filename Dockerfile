# One image for every process of the distributed installation; the command picks the process:
#   node dist/control-plane/main.js | node dist/edge-gateway/main.js | node dist/agent/main.js
# (deploy/ sets it per Deployment). Build: docker build -t tapis-pods:0.1.0 .

FROM node:20-bookworm AS build
WORKDIR /app
# Dependencies first, so a change of the sources alone reuses this layer. Lifecycle scripts are
# skipped (`prepare` would compile sources not copied yet); better-sqlite3 is the one dependency
# with a native part, built here with the image's compiler when no prebuilt binary is found.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
# Only the service's sources: tsconfig's other folders (test, bench, scripts) are left out.
COPY tsconfig.json ./
COPY gen gen
COPY shared shared
COPY control-plane control-plane
COPY edge-gateway edge-gateway
COPY agent agent
COPY embedded embedded
RUN npx tsc -b && rm -f dist/.tsbuildinfo \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The node image's unprivileged user (uid 1000); deploy/ runs every container as it, with a
# read-only root filesystem and emptyDir volumes for the paths the processes write.
USER 1000:1000
EXPOSE 8080 8090 8092
CMD ["node", "dist/embedded/main.js"]

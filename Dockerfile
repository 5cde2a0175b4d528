# assetd container image: build the JavaScript in one stage, run it with production
# dependencies only in a second one, as a non-root user.
#
#   docker build -t assetd .
#   docker run --rm -p 8080:8080 -v "$PWD/staticfiles:/srv/static:ro" assetd
#
# Every setting is an ASSETD_* variable (see README: "Running in production").

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    ASSETD_HOST=0.0.0.0 \
    ASSETD_PORT=8080 \
    ASSETD_ROOT=/srv/static
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY config.example.json ./
RUN chmod 0755 bin/assetd.js \
 && ln -s /app/bin/assetd.js /usr/local/bin/assetd \
 && mkdir -p /srv/static \
 && chown node:node /srv/static
# the node user (uid 1000) comes with the base image
USER node
EXPOSE 8080
# `assetd health --pid 1` resolves the flags of PID 1 (assetd serve and the arguments given
# to `docker run`), the ASSETD_* variables and the config file as serve did, and asks the
# health path on that port: a container run with `--port 9000` is checked on 9000.
HEALTHCHECK --interval=15s --timeout=10s --start-period=20s --retries=3 \
  CMD ["assetd", "health", "--pid", "1"]
ENTRYPOINT ["assetd", "serve"]

# The `entente` command in a container (docs/DEPLOY.md): the package exactly as
# `npm pack` makes it (the same one test/package.test.ts installs and runs), installed
# with its production dependencies only. Build: docker build -t entente:0.1.0 .
FROM node:20-bookworm-slim AS build
# The native AES kernel (native/aes.c) is compiled at install time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm pack --pack-destination /tmp --no-audit --no-fund \
 && mkdir /opt/entente \
 && cd /opt/entente \
 && echo '{"name":"entente-image","private":true}' > package.json \
 && npm install --omit=dev --no-audit --no-fund /tmp/entente-*.tgz

FROM node:20-bookworm-slim
ENV NODE_ENV=production
COPY --from=build /opt/entente /opt/entente
RUN ln -s /opt/entente/node_modules/entente/bin/entente.js /usr/local/bin/entente \
 && mkdir /data && chown node:node /data
# The image's user is node (uid 1000); the Kubernetes manifests run as that uid.
USER node
WORKDIR /data
EXPOSE 7100 7200
ENTRYPOINT ["entente"]
CMD ["--help"]

# The server, for self-hosting with docker-compose.yml. It runs submissions in sibling containers
# through the host's Docker socket, so build the runner image on the host first:
#   cargo xtask images && cargo xtask build-spa && docker compose up -d
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --package backend --bin rmp-server

FROM debian:bookworm-slim
COPY --from=build /src/target/release/rmp-server /usr/local/bin/rmp-server
COPY content /srv/rmp/content
# Built on the host by `cargo xtask build-spa` (it needs Trunk and a wasm toolchain).
COPY dist /srv/rmp/dist
ENV RMP_ADDR=0.0.0.0:8080 \
    RMP_CONTENT_DIR=/srv/rmp/content \
    RMP_SITE_DIR=/srv/rmp/dist \
    RMP_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
# Root inside this container: access to the Docker socket is root-equivalent anyway, and the
# socket's group id differs between hosts. Submissions never run here, only in runner containers.
CMD ["rmp-server"]

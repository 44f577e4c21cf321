# Multi-stage build: a Rust builder, then a slim runtime with only the binary and the knowledge base.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY src src
COPY benches benches
RUN cargo build --release --locked --bin lianghui-bot

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin lianghui \
    && mkdir -p /data \
    && chown lianghui /data
COPY --from=build /src/target/release/lianghui-bot /usr/local/bin/lianghui-bot
COPY --chown=lianghui knowledge /app/knowledge
WORKDIR /app
ENV LIANGHUI_KNOWLEDGE_DIR=/app/knowledge \
    LIANGHUI_DATA_DIR=/data \
    LIANGHUI_METRICS_ADDR=127.0.0.1:9090 \
    RUST_LOG=info
VOLUME /data
USER lianghui
# /healthz on the local metrics address; the binary checks it itself (no curl in the image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["lianghui-bot", "healthcheck"]
# Docker stops containers with SIGTERM: the bot finishes replies in flight and exits.
STOPSIGNAL SIGTERM
CMD ["lianghui-bot", "serve"]

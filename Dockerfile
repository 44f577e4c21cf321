# Multi-stage build: a Rust builder, then a slim runtime with only the stripped binary and the
# bundled reports.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
# Dependencies first, in a layer of their own: a change under src/ does not rebuild them.
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY benches benches
RUN mkdir -p src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked --bin lianghui-bot \
    && rm -rf src
COPY src src
# No debug line tables in the image, and symbols stripped.
ENV CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=symbols
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin lianghui-bot

FROM debian:bookworm-slim
# ca-certificates: HTTPS to Telegram trusts the platform's roots, so an operator behind a
# TLS-inspecting proxy adds its CA the usual way (update-ca-certificates).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin lianghui \
    && mkdir -p /data \
    && chown lianghui /data
COPY --from=build /src/target/release/lianghui-bot /usr/local/bin/lianghui-bot
COPY knowledge /app/knowledge
WORKDIR /app
# The knowledge admins change lives on the data volume, seeded from the bundled reports on the
# first start, so uploads survive a new container.
ENV LIANGHUI_KNOWLEDGE_DIR=/data/knowledge \
    LIANGHUI_KNOWLEDGE_SEED=/app/knowledge \
    LIANGHUI_DATA_DIR=/data \
    LIANGHUI_METRICS_ADDR=0.0.0.0:9090 \
    RUST_LOG=warn,lianghui_bot=info
VOLUME /data
EXPOSE 9090
USER lianghui
# Healthy while the Bot API answered within the last 90 s (read from /data; no HTTP needed).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["lianghui-bot", "healthcheck"]
# Docker stops containers with SIGTERM: the bot finishes replies in flight and exits.
STOPSIGNAL SIGTERM
CMD ["lianghui-bot", "serve"]

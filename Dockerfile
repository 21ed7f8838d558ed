# retail-pipeline on Cloud Run. Build from the repository root:
#   docker build -t retail-pipeline .
# (cloudbuild.yaml does the same, after running the tests.) Health check: GET /health
# (liveness) and GET /ready (readiness); the service listens on $PORT (default 8080).

# ---- build: dependencies in their own layer, then our code ----
FROM rust:1.95-bookworm AS build
# npm fetches DuckDB's prebuilt libduckdb.so (pinned, checksummed) in scripts/libduckdb.sh.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
ENV RP_DUCKDB_CACHE=/opt/libduckdb DUCKDB_LIB_DIR=/opt/libduckdb
COPY scripts/libduckdb.sh scripts/libduckdb.sh
RUN scripts/libduckdb.sh
# Only the manifests: this layer, holding every built dependency, is reused until they change.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir -p src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY . .
# The same build command as scripts/run.sh (tests/deploy.rs checks they agree).
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

# ---- runtime: small, non-root ----
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin app
COPY --from=build /opt/libduckdb/libduckdb.so /usr/local/lib/libduckdb.so
RUN ldconfig
COPY --from=build /src/target/release/retail-pipeline /usr/local/bin/retail-pipeline
USER 10001
# Cloud Run: JSON logs for Cloud Logging, the embedded parts' scratch space in /tmp (with
# --backend gcp only the DuckDB fallback and stream copies would use it).
ENV PORT=8080 RP_LOG_FORMAT=json RP_DATA_DIR=/tmp/data
EXPOSE 8080
ENTRYPOINT ["retail-pipeline"]
CMD ["serve"]

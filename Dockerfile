# chorusbill: one static binary, every fixture embedded.
#
# Base images are pinned so that a rebuild gives the same image: the builder's
# Go is the toolchain go.mod asks for (go 1.26.x); the runtime is distroless
# static (no shell, no package manager, no curl), so the containers'
# healthchecks run the binary itself: `chorusbill health URL`.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/chorusbill ./cmd/chorusbill

# gcr.io/distroless/static-debian12:nonroot, by digest: the tag moves with
# every rebuild upstream. Update the digest on purpose, to the one the tag
# points at then (docker buildx imagetools inspect …:nonroot).
FROM gcr.io/distroless/static-debian12:nonroot@sha256:f5b485ea962d9bd1186b2f6b3a061191539b905b82ec395de78cbfae51f20e35
COPY --from=build /out/chorusbill /usr/local/bin/chorusbill
# Not root (uid 65532); its home is writable, for the demo's SQLite under var/.
USER nonroot:nonroot
WORKDIR /home/nonroot
# Inside a container 127.0.0.1 is the container's own loopback, unreachable
# from anywhere else: the dashboard listens on every interface of the
# container, and whoever runs it chooses what to publish (docker-compose.yml
# publishes it on the host's 127.0.0.1 only).
ENV CHORUSBILL_DASHBOARD_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/chorusbill"]
# The demo's dashboard (plain HTTP: localhost only), for
#   docker run --rm -p 127.0.0.1:8080:8080 IMAGE
CMD ["demo", "--addr", "0.0.0.0:8080"]

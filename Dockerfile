# chorusbill: one static binary, every fixture embedded.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/chorusbill ./cmd/chorusbill

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/chorusbill /usr/local/bin/chorusbill
ENTRYPOINT ["/usr/local/bin/chorusbill"]
CMD ["demo"]

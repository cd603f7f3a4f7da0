# chorusbill — see README.md. Every target works on a fresh machine with Go.
GO      ?= go
PKGS    := ./...
BENCH   ?= .

.PHONY: run test bench lint build fmt clean

## run: the embedded demo (no Redis, PostgreSQL or Chorus Pro needed)
run:
	$(GO) run ./cmd/chorusbill demo

## test: the whole test suite
test:
	$(GO) test -count=1 $(PKGS)

## bench: benchmarks with memory figures
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem $(PKGS)

## lint: go vet, staticcheck (pinned in go.mod as a tool) and gofmt
lint:
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted"; exit 1; fi

## build: the chorusbill binary in bin/
build:
	$(GO) build -o bin/chorusbill ./cmd/chorusbill

clean:
	rm -rf bin var

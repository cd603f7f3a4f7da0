# chorusbill — see README.md. Every target works on a fresh machine with Go.
GO      ?= go
PKGS    := ./...
BENCH   ?= .

.PHONY: run test bench lint build clean services tools fuzz chaos

## run: the embedded demo (no Redis, PostgreSQL or Chorus Pro needed); Ctrl-C to stop
run:
	@echo "== building bin/chorusbill (a first build downloads and compiles the modules: a few minutes)"
	$(GO) build -o bin/chorusbill ./cmd/chorusbill
	./bin/chorusbill demo

## test: the whole test suite (starts PostgreSQL and Redis if they are down)
test: services tools
	$(GO) test -count=1 $(PKGS)

## services: PostgreSQL and Redis on 127.0.0.1, installed and started if needed
services:
	@bash scripts/services

## tools: the EN 16931 validator's tools, poppler-utils, Chromium and axe-core (npm, the browser test's accessibility check), installed if needed
tools:
	@bash scripts/tools

## bench: benchmarks with memory figures, then the pipeline (worker processes, measured apart; then the embedded stack) against asynq's no-op ceiling (scripts/bench: chorusbill-lab bench)
bench: services
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem $(PKGS)
	bash scripts/bench

## chaos: a 10,000-establishment year under every fault family of issue 17 (worker kills, a Redis restart, a PostgreSQL outage, Chorus Pro faults and quirks, clock skew, payments imported twice, an import during the run), on a Redis and a PostgreSQL server of its own, never the machine's (scripts/chaos: chorusbill-lab chaos)
chaos:
	bash scripts/chaos

## fuzz: every fuzz target for FUZZTIME each (seeds are in the tests)
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseDeliberation$$' -fuzztime $(FUZZTIME) ./tariff
	$(GO) test -run '^$$' -fuzz '^FuzzValidateSIRET$$' -fuzztime $(FUZZTIME) ./invoice
	$(GO) test -run '^$$' -fuzz '^FuzzCSV$$' -fuzztime $(FUZZTIME) ./store
	$(GO) test -run '^$$' -fuzz '^FuzzParseInvoiceXML$$' -fuzztime $(FUZZTIME) ./chorus/sandbox
	$(GO) test -run '^$$' -fuzz '^FuzzExtractFacturX$$' -fuzztime $(FUZZTIME) ./chorus/sandbox

## lint: go vet, staticcheck (pinned in go.mod as a tool) and gofmt
lint:
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted"; exit 1; fi

## build: the chorusbill binary in bin/, and beside it chorusbill-lab (bench, chaos)
build:
	$(GO) build -o bin/chorusbill ./cmd/chorusbill
	$(GO) build -o bin/chorusbill-lab ./cmd/chorusbill-lab

clean:
	rm -rf bin var

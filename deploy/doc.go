// Package deploy holds chorusbill's deployment files beside
// docker-compose.yml and the Dockerfile: Prometheus's scrape configuration
// and alerts (prometheus/), Grafana's provisioning and dashboard (grafana/).
// It has no code: its test checks that the compose file, the Dockerfile and
// these files agree with one another and with the metrics the product
// registers, since no test here can run Docker.
package deploy

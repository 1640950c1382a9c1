// Copy-paste configuration for the shippers people already run, filled in with this server's address and a token.

export interface Guide {
  id: string;
  name: string;
  config(origin: string, token: string): string;
}

const hostOf = (origin: string): string => new URL(origin).hostname;
const portOf = (origin: string): string => new URL(origin).port || (origin.startsWith("https") ? "443" : "80");
const tlsOf = (origin: string): boolean => origin.startsWith("https");

export const GUIDES: Guide[] = [
  {
    id: "fluent-bit",
    name: "Fluent Bit",
    config: (o, t) => `[OUTPUT]
    Name        loki
    Match       *
    Host        ${hostOf(o)}
    Port        ${portOf(o)}
    tls         ${tlsOf(o) ? "on" : "off"}
    http_passwd ${t}
    http_user   meshlog
    labels      source=fluentbit, service=$kubernetes['container_name'], namespace=$kubernetes['namespace_name']

# or the forward protocol (the server listens on 127.0.0.1:24224 by default;
# set MESHLOG_FORWARD=0.0.0.0:24224 and MESHLOG_FORWARD_TLS=true to accept remote shippers):
# [OUTPUT]
#     Name          forward
#     Match         *
#     Host          ${hostOf(o)}
#     Port          24224
#     tls           on
#     Username      ${t}
#     Shared_Key    ${t}`,
  },
  {
    id: "filebeat",
    name: "Filebeat / Logstash",
    config: (o, t) => `# filebeat.yml
output.elasticsearch:
  hosts: ["${o}"]
  username: "meshlog"
  password: "${t}"
setup.ilm.enabled: false
setup.template.enabled: false

# logstash pipeline
output {
  elasticsearch { hosts => ["${o}"] user => "meshlog" password => "${t}" }
}`,
  },
  {
    id: "promtail",
    name: "Promtail / Grafana Alloy",
    config: (o, t) => `# promtail.yaml
clients:
  - url: ${o}/loki/api/v1/push
    bearer_token: ${t}

// alloy
loki.write "meshlog" {
  endpoint {
    url          = "${o}/loki/api/v1/push"
    bearer_token = "${t}"
  }
}`,
  },
  {
    id: "datadog",
    name: "Datadog Agent",
    config: (o, t) => `# datadog.yaml
api_key: ${t}
logs_enabled: true
logs_config:
  logs_dd_url: "${hostOf(o)}:${portOf(o)}"
  logs_no_ssl: ${tlsOf(o) ? "false" : "true"}
  use_http: true
  use_compression: true
  compression_kind: gzip`,
  },
  {
    id: "otel",
    name: "OpenTelemetry Collector",
    config: (o, t) => `exporters:
  otlphttp/meshlog:
    endpoint: ${o}
    headers:
      authorization: "Bearer ${t}"
service:
  pipelines:
    logs:   { receivers: [otlp], exporters: [otlphttp/meshlog] }
    traces: { receivers: [otlp], exporters: [otlphttp/meshlog] }`,
  },
  {
    id: "rsyslog",
    name: "rsyslog / syslog-ng",
    config: (o) => `# rsyslog (/etc/rsyslog.d/60-meshlog.conf)
*.* action(type="omfwd" target="${hostOf(o)}" port="5514" protocol="tcp"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")

# syslog-ng
destination d_meshlog { syslog("${hostOf(o)}" transport("tcp") port(5514)); };
log { source(s_src); destination(d_meshlog); };`,
  },
  {
    id: "agent",
    name: "meshlog agent",
    config: (o, t) => `# agent.yaml  (check: meshlog agent --config agent.yaml --check-config; run: meshlog agent --config agent.yaml)
data_dir: /var/lib/meshlog-agent
sources:
  containers:
    type: kubernetes
    include: ["/var/log/containers/*.log"]
  app:
    type: file
    include: ["/var/log/app/*.log"]
transforms:
  - type: parse
    format: auto
  - type: redact
sinks:
  server:
    type: meshlog
    endpoint: "${o}"
    token: "${t}"`,
  },
];

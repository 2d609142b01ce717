// The deployment files generated from the service registry (services.json): every service's
// Kubernetes manifests, the kustomizations and policies that list services, docker-compose.yml.
// `npm run deploy:generate` writes them; scripts/validate-deploy.js fails when a committed file
// differs from what the registry gives. Each function returns the text of one file.
'use strict';

const HEADER =
  '# Generated from services.json by `npm run deploy:generate`: edit the registry, not this file.';
const IMAGE_REPOSITORY = 'ghcr.io/finance-tracker';
/** Where the operators' PostgreSQL and RabbitMQ clusters run (prod overlay, Secrets' URLs, NetworkPolicy). */
const DATABASE_NAMESPACE = 'databases';
const BROKER_NAMESPACE = 'messaging';
const PG_CLUSTER = 'finance-pg';
const RABBIT_CLUSTER = 'finance-rabbitmq';

const q = (value) => JSON.stringify(String(value));
const apiServices = (services) => services.filter((s) => s.role === 'api');
const edgeOf = (services) => services.find((s) => s.role === 'edge');
const authOf = (services) => services.find((s) => s.name === 'auth');

/** Settings every service reads, whatever the environment. */
function commonConfig(services) {
  const auth = authOf(services);
  return `${HEADER}
# Non-secret settings every service reads (docs: README.md "Configuration").
# Database and broker URLs carry credentials, so they come from Secrets (see secret.example.yaml).
apiVersion: v1
kind: ConfigMap
metadata:
  name: finance-common
  labels:
    app.kubernetes.io/part-of: finance-tracker
data:
  NODE_ENV: production
  LOG_LEVEL: info
  JWKS_URL: http://auth:${auth.port}/.well-known/jwks.json
  JWT_ISSUER: finance-tracker-auth
  JWT_AUDIENCE: finance-tracker
  DB_POOL_SIZE: "10"
  SHUTDOWN_TIMEOUT_MS: "10000"
  # Services believe X-Forwarded-For only from pod addresses (NetworkPolicy: only the gateway
  # reaches them) that also present the gateway's PROXY_SECRET (from the Secret finance-proxy).
  TRUSTED_PROXIES: "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
`;
}

/** The gateway's settings: where each service answers (cluster DNS), then its own edge policy. */
function serviceConfigData(service, services) {
  const data = { PORT: String(service.port) };
  if (service.metricsPort) data.METRICS_PORT = String(service.metricsPort);
  if (service.role === 'edge') {
    for (const upstream of apiServices(services))
      data[upstream.urlVariable] = `http://${upstream.name}:${upstream.port}`;
  }
  Object.assign(data, service.config);
  return data;
}

function secretEnv(service) {
  const own = service.database ? [{ name: 'DATABASE_URL' }, { name: 'AMQP_URL' }] : [];
  const entries = [...own, ...service.secrets].map(
    (secret) => `            - name: ${secret.name}
              valueFrom:
                secretKeyRef:
                  name: finance-${service.name}
                  key: ${secret.name}${secret.optional ? '\n                  optional: true' : ''}`,
  );
  entries.push(`            - name: PROXY_SECRET
              valueFrom:
                secretKeyRef:
                  name: finance-proxy
                  key: PROXY_SECRET`);
  return entries.join('\n');
}

function metricsContainerPort(service) {
  if (!service.metricsPort) return '';
  return `
            - name: metrics
              containerPort: ${service.metricsPort}`;
}

/** ConfigMap, Deployment, Service and PodDisruptionBudget of one service. */
function serviceManifest(service, services) {
  const { name, port } = service;
  const [cpuRequest, cpuLimit] = service.resources.cpu;
  const [memoryRequest, memoryLimit] = service.resources.memory;
  const data = Object.entries(serviceConfigData(service, services))
    .map(([key, value]) => `  ${key}: ${q(value)}`)
    .join('\n');
  return `${HEADER}
# ${name}: ${service.description}.
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-config
  labels:
    app.kubernetes.io/name: ${name}
    app.kubernetes.io/part-of: finance-tracker
data:
${data}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    app.kubernetes.io/name: ${name}
    app.kubernetes.io/part-of: finance-tracker
    app.kubernetes.io/component: ${service.role}
spec:
  replicas: 2
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: ${name}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${name}
        app.kubernetes.io/part-of: finance-tracker
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "${service.metricsPort ?? port}"
        prometheus.io/path: /metrics
    spec:
      automountServiceAccountToken: false
      # Longer than preStop (5 s) + the service's own drain (SHUTDOWN_TIMEOUT_MS, 10 s).
      terminationGracePeriodSeconds: 30
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000 # the node user of the node:22 image
        runAsGroup: 1000
        fsGroup: 1000
        seccompProfile:
          type: RuntimeDefault
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              app.kubernetes.io/name: ${name}
      containers:
        - name: ${name}
          image: ${IMAGE_REPOSITORY}/${name}:latest
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: ${port}${metricsContainerPort(service)}
          envFrom:
            - configMapRef:
                name: finance-common
            - configMapRef:
                name: ${name}-config
          env:
            - name: NODE_OPTIONS
              # V8 sizes its heap from the node's memory, not this container's limit: keep it inside the limit.
              value: --max-old-space-size=${service.resources.heapMb}
${secretEnv(service)}
          startupProbe:
            # Migrations run at start (under an advisory lock): allow up to 2 minutes.
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 2
            failureThreshold: 60
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          livenessProbe:
            # Only "is the process alive": a database or broker outage must not restart pods.
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          lifecycle:
            preStop:
              # Lets the endpoints controller take the pod out of rotation before SIGTERM.
              exec:
                command: ["sleep", "5"]
          resources:
            requests:
              cpu: ${q(cpuRequest)}
              memory: ${memoryRequest}
            limits:
              cpu: ${q(cpuLimit)}
              memory: ${memoryLimit}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: ${service.tmpSizeMi}Mi
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  labels:
    app.kubernetes.io/name: ${name}
    app.kubernetes.io/part-of: finance-tracker
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: ${name}
  ports:
    - name: http
      port: ${port}
      targetPort: http
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${name}
  labels:
    app.kubernetes.io/name: ${name}
    app.kubernetes.io/part-of: finance-tracker
spec:
  # maxUnavailable (not minAvailable) so a one-replica dev overlay can still drain nodes.
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ${name}
`;
}

function baseKustomization(services) {
  return `${HEADER}
# Base of every environment: \`kubectl apply -k k8s/overlays/dev\` (or prod), never the base alone.
# secret.example.yaml is deliberately NOT listed: Secrets come from the operator (or
# sealed-secrets / external-secrets), never from this repository.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: finance-tracker
resources:
  - namespace.yaml
  - common-config.yaml
${services.map((s) => `  - services/${s.name}.yaml`).join('\n')}
  - ingress.yaml
  - network-policy.yaml
`;
}

function metricsIngress(edge) {
  return `
    # Its metrics port only for Prometheus.
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
      ports:
        - port: ${edge.metricsPort}`;
}

function networkPolicy(services) {
  const edge = edgeOf(services);
  const auth = authOf(services);
  const behindGateway = apiServices(services).filter((s) => s.name !== 'auth');
  return `${HEADER}
# Who may call whom. Only the gateway is reachable from outside the namespace (through the
# Ingress controller); the services answer the gateway, and auth's JWKS answers every service.
# Prometheus (namespace "monitoring") may scrape /metrics everywhere. Egress is closed but for
# DNS, the namespace itself, PostgreSQL and RabbitMQ; the notifier may reach the internet (mail,
# webhooks), the ledger its exchange-rate provider.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: services-from-gateway
  labels:
    app.kubernetes.io/part-of: finance-tracker
spec:
  podSelector:
    matchExpressions:
      - key: app.kubernetes.io/name
        operator: In
        values: [${behindGateway.map((s) => s.name).join(', ')}]
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: ${edge.name}
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: auth-from-tracker
  labels:
    app.kubernetes.io/part-of: finance-tracker
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: ${auth.name}
  policyTypes: [Ingress]
  ingress:
    - from:
        # The gateway proxies /auth/*, and every service fetches the JWKS to verify tokens.
        - podSelector:
            matchLabels:
              app.kubernetes.io/part-of: finance-tracker
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: gateway-from-anywhere
  labels:
    app.kubernetes.io/part-of: finance-tracker
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: ${edge.name}
  policyTypes: [Ingress]
  ingress:
    - ports:
        - port: ${edge.port}${edge.metricsPort ? metricsIngress(edge) : ''}
---
# Egress, for every pod: DNS, the other pods of this namespace (the gateway's upstreams, auth's
# JWKS), PostgreSQL (namespace ${DATABASE_NAMESPACE}) and RabbitMQ (namespace ${BROKER_NAMESPACE}); the
# gateway also its Redis. Anything else only where a policy below allows it.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: egress-baseline
  labels:
    app.kubernetes.io/part-of: finance-tracker
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/part-of: finance-tracker
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/part-of: finance-tracker
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ${DATABASE_NAMESPACE}
      ports:
        - port: 5432
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ${BROKER_NAMESPACE}
      ports:
        - port: 5672
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${edge.name}-egress-redis
  labels:
    app.kubernetes.io/part-of: finance-tracker
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: ${edge.name}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector: {}
      ports:
        - port: 6379
${internetEgress(
  'notifier',
  'E-mail (SMTP) and signed webhooks to URLs the users chose: the public internet, any port, never the private ranges (no webhook reaches inside the cluster).',
  [],
)}${internetEgress(
    'ledger',
    'The exchange-rate provider (FX_PROVIDER_URL) over HTTPS or HTTP on the public internet, and a Frankfurter run inside the cluster (pods labelled app.kubernetes.io/name: frankfurter, port 8080).',
    [443, 80],
    `
    - to:
        - namespaceSelector: {}
          podSelector:
            matchLabels:
              app.kubernetes.io/name: frankfurter
      ports:
        - port: 8080`,
  )}`;
}

/** An egress policy to the public internet (private ranges excluded) for one service. */
function internetEgress(name, why, ports, more = '') {
  const portList = ports.length
    ? `\n      ports:\n${ports.map((port) => `        - port: ${port}`).join('\n')}`
    : '';
  return `---
# ${name}: ${why}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${name}-egress-internet
  labels:
    app.kubernetes.io/part-of: finance-tracker
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: ${name}
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock:
            cidr: 0.0.0.0/0
            except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, 100.64.0.0/10]${portList}${more}
`;
}

function secretExample(services) {
  const blocks = services.map((service) => {
    const lines = [];
    if (service.database) {
      lines.push(
        `  DATABASE_URL: postgres://${service.name}:CHANGE-ME@${PG_CLUSTER}-rw.${DATABASE_NAMESPACE}.svc:5432/${service.database}?sslmode=require`,
        `  AMQP_URL: amqp://${service.name}:CHANGE-ME@${RABBIT_CLUSTER}.${BROKER_NAMESPACE}.svc:5672`,
      );
    }
    for (const secret of service.secrets) {
      lines.push(`  ${secret.name}: CHANGE-ME${secret.optional ? ' # optional' : ''}`);
    }
    return `apiVersion: v1
kind: Secret
metadata:
  name: finance-${service.name}
type: Opaque
stringData:
${lines.length ? lines.join('\n') : '  {}'}`;
  });
  blocks.push(`apiVersion: v1
kind: Secret
metadata:
  name: finance-proxy
type: Opaque
stringData:
  # Shared by the gateway and every service: forwarding headers are believed only with it.
  # Generate: openssl rand -base64 32
  PROXY_SECRET: CHANGE-ME-long-random`);
  return `${HEADER}
# EXAMPLE ONLY: not part of the kustomization, never commit real values.
# One Secret per service, so each pod sees only its own database credentials.
# Create them with your secret tooling (sealed-secrets, external-secrets, Vault, ...), or for a
# test cluster: edit a copy of this file and \`kubectl apply -n finance-tracker -f my-secrets.yaml\`.
#
# DATABASE_URL: with CloudNativePG, take it from the cluster's \`<cluster>-app\` Secret (key \`uri\`)
# or point each service at its own database on a managed PostgreSQL.
# AMQP_URL: with the RabbitMQ Cluster Operator, build it from the \`<cluster>-default-user\`
# Secret (username, password, host) or use a dedicated user per service (recommended).
# auth's JWT_PRIVATE_KEY: the RS256 signing key (PEM); openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048
${blocks.join('\n---\n')}
`;
}

const OVERLAYS = {
  dev: {
    comment:
      '# Development cluster: one replica each, images built from main, debug logs.\n#   kubectl apply -k k8s/overlays/dev',
    replicas: () => 1,
    tag: 'main',
    extraResources: [],
    patches: ['config.yaml', 'ingress.yaml'],
  },
  prod: {
    comment:
      '# Production: pinned image tags (CI sets them: `kustomize edit set image ghcr.io/finance-tracker/ledger:1.4.2`),\n# more replicas where the traffic is, more headroom for PDF rendering.\n#   kubectl apply -k k8s/overlays/prod',
    // The edge and the ledger take the traffic (and scale further with their HPAs).
    replicas: (service) => (service.role === 'edge' || service.name === 'ledger' ? 3 : 2),
    tag: '0.1.0',
    extraResources: ['autoscaling.yaml', 'postgres.yaml', 'rabbitmq.yaml'],
    patches: ['resources.yaml'],
  },
};

function overlayKustomization(overlay, services) {
  const spec = OVERLAYS[overlay];
  return `${HEADER}
${spec.comment}
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
${spec.extraResources.map((r) => `  - ${r}\n`).join('')}replicas:
${services.map((s) => `  - name: ${s.name}\n    count: ${spec.replicas(s)}`).join('\n')}
images:
${services.map((s) => `  - name: ${IMAGE_REPOSITORY}/${s.name}\n    newTag: ${spec.tag}`).join('\n')}
patches:
${spec.patches.map((p) => `  - path: ${p}`).join('\n')}
`;
}

/**
 * prod's PostgreSQL: a CloudNativePG Cluster (three instances: one primary, two streaming
 * replicas, automatic failover), one role and one Database per service of the registry, WAL
 * archiving and base backups to object storage (barman), a nightly ScheduledBackup.
 */
function postgresCluster(services) {
  const owners = services.filter((s) => s.database);
  const roles = owners
    .map(
      (s) => `      - name: ${s.name}
        ensure: present
        login: true
        # A basic-auth Secret (username, password) made by your secret tooling; never in this repository.
        passwordSecret:
          name: ${PG_CLUSTER}-${s.name}`,
    )
    .join('\n');
  const databases = owners
    .map(
      (s) => `---
apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata:
  name: ${s.database.replace(/_/g, '-')}
  namespace: ${DATABASE_NAMESPACE}
spec:
  name: ${s.database}
  owner: ${s.name}
  cluster:
    name: ${PG_CLUSTER}`,
    )
    .join('\n');
  return `${HEADER}
# PostgreSQL for production, run by the CloudNativePG operator (https://cloudnative-pg.io; install
# it and its CRDs first). Each service's DATABASE_URL (Secret finance-<service>) points at
# ${PG_CLUSTER}-rw.${DATABASE_NAMESPACE}.svc with its own role. Restore: docs/operations.md "Backups and restore".
# validate-deploy.js checks these custom resources structurally (no schema for CRDs).
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: ${PG_CLUSTER}
  namespace: ${DATABASE_NAMESPACE}
spec:
  instances: 3
  imageName: ghcr.io/cloudnative-pg/postgresql:17
  primaryUpdateStrategy: unsupervised
  storage:
    size: 20Gi
  walStorage:
    size: 5Gi
  postgresql:
    parameters:
      max_connections: "300"
  # The replicas survive the loss of one node, and so a PodDisruptionBudget is made by the operator.
  affinity:
    enablePodAntiAffinity: true
    topologyKey: kubernetes.io/hostname
  bootstrap:
    initdb:
      database: app
      owner: app
  managed:
    roles:
${roles}
  backup:
    retentionPolicy: 30d
    barmanObjectStore:
      destinationPath: s3://finance-tracker-backups/postgres
      s3Credentials:
        accessKeyId:
          name: ${PG_CLUSTER}-backup
          key: ACCESS_KEY_ID
        secretAccessKey:
          name: ${PG_CLUSTER}-backup
          key: ACCESS_SECRET_KEY
      wal:
        compression: gzip
      data:
        compression: gzip
  monitoring:
    enablePodMonitor: true
---
apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata:
  name: ${PG_CLUSTER}-nightly
  namespace: ${DATABASE_NAMESPACE}
spec:
  schedule: "0 0 2 * * *"
  backupOwnerReference: self
  cluster:
    name: ${PG_CLUSTER}
${databases}
`;
}

/** prod's RabbitMQ: three nodes by the RabbitMQ Cluster Operator (the services' queues are quorum queues). */
function rabbitmqCluster() {
  return `${HEADER}
# RabbitMQ for production, run by the RabbitMQ Cluster Operator
# (https://www.rabbitmq.com/kubernetes/operator/operator-overview; install it and its CRDs first).
# Three nodes: the services' work, retry and dead-letter queues are quorum queues, which keep
# working with one node down. Each service's AMQP_URL (Secret finance-<service>) points at
# ${RABBIT_CLUSTER}.${BROKER_NAMESPACE}.svc. validate-deploy.js checks it structurally.
apiVersion: rabbitmq.com/v1beta1
kind: RabbitmqCluster
metadata:
  name: ${RABBIT_CLUSTER}
  namespace: ${BROKER_NAMESPACE}
spec:
  replicas: 3
  image: rabbitmq:4-management
  persistence:
    storage: 10Gi
  resources:
    requests:
      cpu: 500m
      memory: 1Gi
    limits:
      memory: 1Gi
  rabbitmq:
    additionalPlugins:
      - rabbitmq_prometheus
    additionalConfig: |
      # Quorum queues need a majority: pause a minority node instead of splitting the brain.
      cluster_partition_handling = pause_minority
      vm_memory_high_watermark.relative = 0.7
`;
}

/** docker-compose.yml: infrastructure, then every service from the one Dockerfile. */
function compose(services) {
  const auth = authOf(services);
  const edge = edgeOf(services);
  const databases = services.filter((s) => s.database).map((s) => s.database);
  const env = (entries) =>
    Object.entries(entries)
      .map(([key, value]) => `      ${key}: ${q(value)}`)
      .join('\n');
  const block = (service) => {
    const own = { PORT: String(service.port) };
    if (service.database) own.DATABASE_URL = `postgres://postgres@postgres:5432/${service.database}`;
    if (service.role === 'edge') {
      for (const upstream of apiServices(services))
        own[upstream.urlVariable] = `http://${upstream.name}:${upstream.port}`;
    }
    const environment = { ...own, ...service.config, ...service.image.env, ...service.composeEnv };
    const dependsOn =
      service.role === 'edge'
        ? ['redis', ...apiServices(services).map((s) => s.name)]
            .map((name) => `      ${name}:\n        condition: service_healthy`)
            .join('\n')
        : `      postgres:\n        condition: service_healthy\n      rabbitmq:\n        condition: service_healthy${
            service.name === 'ledger' ? '\n      frankfurter:\n        condition: service_started' : ''
          }`;
    const ports =
      service.role === 'edge' ? `\n    ports:\n      - '\${GATEWAY_PORT:-${edge.port}}:${edge.port}'` : '';
    const args = service.image.systemPackages.length
      ? `\n      args:\n        SERVICE: ${service.name}\n        SYSTEM_PACKAGES: ${q(service.image.systemPackages.join(' '))}`
      : `\n      args:\n        SERVICE: ${service.name}`;
    return `  ${service.name}:
    <<: *service-defaults
    build:
      context: .${args}
    image: finance-tracker/${service.name}:dev
    environment:
      <<: *common-env
${env(environment)}${ports}
    depends_on:
${dependsOn}
    healthcheck: *readyz`;
  };
  return `${HEADER}
# The whole system in containers: \`docker compose up --build\`, then http://localhost:${edge.port}/docs.
# Infrastructure only (for \`npm start\` on the host): \`docker compose up -d postgres rabbitmq\`.
#
# Development setup, not production: PostgreSQL trusts every connection and RabbitMQ keeps
# guest/guest, both published on 127.0.0.1 only. Host ports can be moved with POSTGRES_PORT,
# RABBITMQ_PORT, RABBITMQ_UI_PORT, MAILPIT_UI_PORT, FRANKFURTER_PORT, GATEWAY_PORT (e.g. in a .env file).
#
# Signing key: auth runs with NODE_ENV=development here, so it generates a development RS256
# key once and keeps it in its own database (it survives restarts with the pgdata volume).
# To run auth like production instead, set NODE_ENV=production and JWT_PRIVATE_KEY (PEM) on it.

x-service-defaults: &service-defaults
  restart: unless-stopped
  init: true
  stop_grace_period: 15s

x-common-env: &common-env
  NODE_ENV: production
  LOG_LEVEL: \${LOG_LEVEL:-info}
  AMQP_URL: amqp://guest:guest@rabbitmq:5672
  JWKS_URL: http://auth:${auth.port}/.well-known/jwks.json
  JWT_ISSUER: finance-tracker-auth
  JWT_AUDIENCE: finance-tracker
  DB_POOL_SIZE: '10'
  # Containers talk over the compose network; the gateway proves itself with this secret.
  TRUSTED_PROXIES: 172.16.0.0/12,192.168.0.0/16,10.0.0.0/8
  PROXY_SECRET: \${PROXY_SECRET:-compose-development-proxy-secret}

x-readyz: &readyz
  test:
    [
      'CMD',
      'node',
      '-e',
      "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))",
    ]
  interval: 10s
  timeout: 3s
  retries: 5
  start_period: 30s

services:
  postgres:
    image: postgres:17
    environment:
      POSTGRES_USER: postgres
      POSTGRES_HOST_AUTH_METHOD: trust
      POSTGRES_MULTIPLE_DATABASES: ${databases.join(',')}
    volumes:
      - pgdata:/var/lib/postgresql/data
      - ./docker/postgres/init-databases.sh:/docker-entrypoint-initdb.d/10-init-databases.sh:ro
    ports:
      - '127.0.0.1:\${POSTGRES_PORT:-5432}:5432'
    healthcheck:
      # Over TCP: during initialisation the server listens on its socket only, so this
      # turns healthy only once the init script has created the databases.
      test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', 'postgres', '-d', '${databases[0]}']
      interval: 5s
      timeout: 3s
      retries: 20
      start_period: 10s

  rabbitmq:
    image: rabbitmq:4-management
    hostname: rabbitmq # the node name, and so its data directory, must not change between runs
    volumes:
      - rabbitmqdata:/var/lib/rabbitmq
    ports:
      - '127.0.0.1:\${RABBITMQ_PORT:-5672}:5672'
      - '127.0.0.1:\${RABBITMQ_UI_PORT:-15672}:15672' # management UI, guest/guest
    healthcheck:
      test: ['CMD-SHELL', 'rabbitmq-diagnostics -q ping && rabbitmq-diagnostics -q check_port_connectivity']
      interval: 10s
      timeout: 10s
      retries: 12
      start_period: 20s

  redis:
    # Shared rate-limit counters for the gateway, so limits hold across replicas.
    image: redis:7-alpine
    healthcheck:
      test: ['CMD', 'redis-cli', 'ping']
      interval: 5s
      timeout: 3s
      retries: 10

  frankfurter:
    # Exchange rates (European Central Bank reference rates) for the ledger: FX_PROVIDER_URL.
    image: lineofflight/frankfurter:latest
    ports:
      - '127.0.0.1:\${FRANKFURTER_PORT:-8081}:8080'

  mailpit:
    # SMTP sink for the notifier's e-mail (SMTP on mailpit:1025); read the mail at http://localhost:8025.
    image: axllent/mailpit:latest
    ports:
      - '127.0.0.1:\${MAILPIT_UI_PORT:-8025}:8025'
    healthcheck:
      test: ['CMD', '/mailpit', 'readyz']
      interval: 10s
      timeout: 3s
      retries: 10

${services.map(block).join('\n\n')}

volumes:
  pgdata:
  rabbitmqdata:
`;
}

/** Every generated file: path (from the repository root) → text. */
function deployFiles(services) {
  const files = new Map();
  files.set('k8s/base/common-config.yaml', commonConfig(services));
  for (const service of services)
    files.set(`k8s/base/services/${service.name}.yaml`, serviceManifest(service, services));
  files.set('k8s/base/kustomization.yaml', baseKustomization(services));
  files.set('k8s/base/network-policy.yaml', networkPolicy(services));
  files.set('k8s/base/secret.example.yaml', secretExample(services));
  for (const overlay of Object.keys(OVERLAYS))
    files.set(`k8s/overlays/${overlay}/kustomization.yaml`, overlayKustomization(overlay, services));
  files.set('k8s/overlays/prod/postgres.yaml', postgresCluster(services));
  files.set('k8s/overlays/prod/rabbitmq.yaml', rabbitmqCluster());
  files.set('docker-compose.yml', compose(services));
  return files;
}

module.exports = { deployFiles, HEADER };

// The everyday kubectl commands people type with the reference troubleshooting guide open, in the order a
// session would type them, each with what a GKE 1.32 cluster answers: exit code, and lines or words of the
// output (table columns as the API server's printers lay them out, `kubectl` wording of results and errors).
// `{pod}` stands for the current `cart` pod's name, `{mds}` for a gke-metadata-server pod, `{node}` for the
// cart pod's node, `{dir}` for a scratch folder with the manifests below.

export const MANIFESTS = {
  'ksa.yaml': `apiVersion: v1
kind: ServiceAccount
metadata:
  name: applied
  namespace: shop
  annotations:
    iam.gke.io/gcp-service-account: cart@acme-shop.iam.gserviceaccount.com
`,
  'ksa-ssa.yaml': `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ssa
  namespace: shop
  labels:
    team: payments
`,
  'deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      serviceAccountName: cart
      containers:
        - name: web
          image: nginx:1.27
          ports: [{ containerPort: 80 }]
          env: [{ name: MODE, value: prod }]
`,
  'bad-field.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
  namespace: shop
spec:
  replicas: 1
  foo: bar
  selector:
    matchLabels: { app: bad }
  template:
    metadata:
      labels: { app: bad }
    spec:
      containers: [{ name: bad, image: nginx }]
`,
  'bad-type.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: badtype
  namespace: shop
spec:
  replicas: two
  selector:
    matchLabels: { app: badtype }
  template:
    metadata:
      labels: { app: badtype }
    spec:
      containers: [{ name: badtype, image: nginx }]
`,
  'netpol.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-metadata
  namespace: shop
spec:
  podSelector:
    matchLabels: { app: cart }
  policyTypes: [Egress]
  egress:
    - to: [{ ipBlock: { cidr: 169.254.169.252/32 } }]
      ports: [{ protocol: TCP, port: 988 }]
`,
};

const row = (...cells) => new RegExp(`^${cells.join('\\s+')}\\s*$`, 'm');

/** @type {{cmd: string, code?: number, out?: RegExp[], err?: RegExp[], scenario?: string}[]} */
export const CASES = [
  // Looking around.
  { cmd: 'kubectl version', out: [/^Server Version: v1\.32\.\d+-gke\.\d+$/m] },
  { cmd: 'kubectl cluster-info', out: [/Kubernetes control plane is running at http/] },
  { cmd: 'kubectl get --raw /healthz', out: [/^ok$/] },
  { cmd: "kubectl get --raw '/readyz?verbose'", out: [/^\[\+\]ping ok$/m, /^readyz check passed$/m] },
  {
    cmd: 'kubectl api-resources',
    out: [
      row('serviceaccounts', 'sa', 'v1', 'true', 'ServiceAccount'),
      row('deployments', 'deploy', 'apps/v1', 'true', 'Deployment'),
    ],
  },
  {
    cmd: 'kubectl api-resources --api-group=authentication.k8s.io',
    out: [/selfsubjectreviews\s+authentication\.k8s\.io\/v1\s+false\s+SelfSubjectReview/],
  },
  { cmd: 'kubectl get ns', out: [row('NAME', 'STATUS', 'AGE'), row('shop', 'Active', '\\S+')] },
  {
    cmd: 'kubectl get nodes',
    out: [
      row('NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'),
      row('gke-prod-default-pool-1a2b3c4d-x1y2', 'Ready', '<none>', '\\S+', 'v1\\.32\\.\\d+-gke\\.\\d+'),
    ],
  },
  {
    cmd: 'kubectl get nodes -o wide',
    out: [
      /INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/,
      /Container-Optimized OS from Google\s+\S+\s+containerd:\/\/\S+/,
    ],
  },
  {
    cmd: 'kubectl get pods -n shop',
    out: [
      row('NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'),
      row('cart-7d9f8b6c5d-abcde', '1/1', 'Running', '0', '\\S+'),
    ],
  },
  {
    cmd: 'kubectl get pods -n shop -o wide',
    out: [
      row('NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'),
      row(
        'cart-7d9f8b6c5d-abcde',
        '1/1',
        'Running',
        '0',
        '\\S+',
        '10\\.\\d+\\.\\d+\\.\\d+',
        'gke-prod-default-pool-1a2b3c4d-x1y2',
        '<none>',
        '<none>',
      ),
    ],
  },
  {
    cmd: 'kubectl get pods -A',
    out: [
      row('NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'),
      /^kube-system\s+gke-metadata-server-\w{5}\s+1\/1\s+Running\s+0\s+\S+$/m,
    ],
  },
  {
    cmd: 'kubectl get pods -n kube-system -l k8s-app=gke-metadata-server',
    out: [/^gke-metadata-server-\w{5}\s+1\/1\s+Running/m],
  },
  {
    cmd: 'kubectl get deploy -n shop',
    out: [row('NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'), row('cart', '1/1', '1', '1', '\\S+')],
  },
  {
    cmd: 'kubectl get deploy -n shop -o wide',
    out: [
      row('NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'),
      /^cart\s+1\/1\s+1\s+1\s+\S+\s+app\s+\S+\s+app=cart$/m,
    ],
  },
  {
    cmd: 'kubectl get rs -n shop',
    out: [row('NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'), row('cart-7d9f8b6c5d', '1', '1', '1', '\\S+')],
  },
  {
    cmd: 'kubectl get ds -n kube-system',
    out: [
      row('NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'),
      /^gke-metadata-server\s+2\s+2\s+2\s+2\s+2\s+iam\.gke\.io\/gke-metadata-server-enabled=true\s+\S+$/m,
    ],
  },
  { cmd: 'kubectl get sa -n shop', out: [row('NAME', 'SECRETS', 'AGE'), row('cart', '0', '\\S+')] },
  { cmd: 'kubectl get networkpolicies -n shop', err: [/^No resources found in shop namespace\.$/m] },
  {
    cmd: 'kubectl get all -n shop',
    out: [
      /^pod\/cart-7d9f8b6c5d-abcde\s+1\/1\s+Running/m,
      /^deployment\.apps\/cart\s+1\/1\s+1\s+1/m,
      /^replicaset\.apps\/cart-7d9f8b6c5d\s+1\s+1\s+1/m,
    ],
  },
  { cmd: 'kubectl get sa -n shop -o name', out: [/^serviceaccount\/cart$/m] },
  {
    cmd: 'kubectl get pods -n shop --show-labels',
    out: [/^cart-7d9f8b6c5d-abcde\s+1\/1\s+Running\s+0\s+\S+\s+app=cart,pod-template-hash=7d9f8b6c5d$/m],
  },
  // A fresh cluster whose pods started long ago has no events left (they expire after an hour).
  { cmd: 'kubectl get events -A', err: [/^No resources found$/] },
  {
    cmd: 'kubectl describe rs cart-7d9f8b6c5d -n shop',
    out: [
      /^Controlled By:\s+Deployment\/cart$/m,
      /^Pods Status:\s+1 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m,
    ],
  },
  { cmd: 'kubectl auth can-i --list -n shop', out: [/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m] },
  // The guide's checks.
  {
    cmd: 'kubectl get serviceaccount cart -n shop -o yaml | grep gcp-service-account',
    out: [/iam\.gke\.io\/gcp-service-account: cart@acme-shop\.iam\.gserviceaccount\.com/],
  },
  {
    cmd: "kubectl get serviceaccount cart -n shop -o jsonpath='{.metadata.annotations}'",
    out: [/"iam\.gke\.io\/gcp-service-account":"cart@acme-shop\.iam\.gserviceaccount\.com"/],
  },
  {
    cmd: "kubectl get deployment cart -n shop -o jsonpath='{.spec.template.spec.serviceAccountName}'",
    out: [/^cart$/],
  },
  {
    cmd: "kubectl get pod {pod} -n shop -o jsonpath='{.status.containerStatuses[0].state}'",
    out: [/^\{"running":\{"startedAt":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\}\}$/],
  },
  {
    cmd: "kubectl get deployment cart -n shop -o jsonpath='{.status.availableReplicas} {.status.observedGeneration} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}'",
    out: [/^1 1 1$/],
  },
  {
    cmd: 'kubectl describe sa cart -n shop',
    out: [/^Annotations:\s+iam\.gke\.io\/gcp-service-account: cart@acme-shop\.iam\.gserviceaccount\.com$/m],
  },
  {
    cmd: 'kubectl describe pod {pod} -n shop',
    out: [
      /^Service Account:\s+cart$/m,
      /^Status:\s+Running$/m,
      /^Controlled By:\s+ReplicaSet\/cart-7d9f8b6c5d$/m,
      /^\s+Image ID:\s+\S+@sha256:[0-9a-f]{64}$/m,
      /^\s+State:\s+Running$/m,
      /^QoS Class:\s+BestEffort$/m,
    ],
  },
  {
    cmd: 'kubectl describe deployment cart -n shop',
    out: [
      /^Replicas:\s+1 desired \| 1 updated \| 1 total \| 1 available \| 0 unavailable$/m,
      /^NewReplicaSet:\s+cart-7d9f8b6c5d \(1\/1 replicas created\)$/m,
      /^\s+Available\s+True\s+MinimumReplicasAvailable$/m,
    ],
  },
  {
    cmd: 'kubectl describe node {node}',
    out: [/^Capacity:$/m, /^Allocatable:$/m, /^\s+Ready\s+True\s+/m, /^Non-terminated Pods:\s+\(\d+ in total\)$/m],
  },
  {
    cmd: 'kubectl get sa nope -n shop',
    code: 1,
    err: [/^Error from server \(NotFound\): serviceaccounts "nope" not found$/m],
  },
  // kubectl 1.32 follows a NotFound with a look at the namespace, and reports the namespace when that is missing.
  {
    cmd: 'kubectl get sa cart -n nosuchns',
    code: 1,
    err: [/^Error from server \(NotFound\): namespaces "nosuchns" not found$/m],
  },
  {
    cmd: 'kubectl get --raw /api/v1/namespaces/nosuchns/serviceaccounts/cart',
    code: 1,
    err: [/^Error from server \(NotFound\): serviceaccounts "cart" not found$/m],
  },
  {
    cmd: 'kubectl get --raw /.well-known/openid-configuration',
    out: [
      /"issuer":"https:\/\/container\.googleapis\.com\/v1\/projects\/acme-shop\/locations\/europe-west1\/clusters\/prod"/,
    ],
  },
  // Tokens and identity.
  {
    cmd: 'kubectl create token cart -n shop --audience acme-shop.svc.id.goog --duration 1h',
    out: [/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/],
  },
  {
    cmd: 'kubectl create token cart -n shop --duration 5m',
    code: 1,
    err: [/may not specify a duration less than 10 minutes/],
  },
  { cmd: 'kubectl auth can-i get pods -n shop', out: [/^yes$/] },
  { cmd: 'kubectl auth can-i create serviceaccounts/token -n shop', out: [/^yes$/] },
  {
    cmd: 'kubectl auth whoami',
    out: [row('ATTRIBUTE', 'VALUE'), row('Username', 'admin@example\\.com'), /^Groups\s+\[system:authenticated\]$/m],
  },
  // In the pod.
  {
    cmd: 'kubectl exec deployment/cart -n shop -- curl -s -H "Metadata-Flavor: Google" http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/email',
    out: [/^cart@acme-shop\.iam\.gserviceaccount\.com$/],
  },
  {
    cmd: 'kubectl exec deployment/cart -n shop -- curl -s -H "Metadata-Flavor: Google" "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity?audience=https://example.com"',
    out: [/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/],
  },
  {
    cmd: 'kubectl exec deployment/cart -n shop -- curl -s http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/email',
    out: [/Missing required header "Metadata-Flavor": "Google"/],
  },
  {
    cmd: 'kubectl exec deployment/cart -n shop -- nslookup metadata.google.internal',
    out: [/^Name:\s+metadata\.google\.internal$/m, /^Address:\s+169\.254\.169\.254$/m],
  },
  {
    cmd: 'kubectl exec deployment/cart -n shop -- ls -la /var/run/secrets/kubernetes.io/serviceaccount/',
    out: [/ token -> \.\.data\/token$/m, / namespace -> \.\.data\/namespace$/m],
  },
  {
    cmd: 'kubectl exec deployment/cart -n shop -- cat /var/run/secrets/kubernetes.io/serviceaccount/namespace',
    out: [/^shop$/],
  },
  {
    cmd: 'kubectl exec deployment/cart -n shop -- cat /var/run/secrets/tokens/gcp-ksa',
    code: 1,
    err: [/No such file or directory/],
  },
  {
    cmd: 'kubectl exec deployment/cart -n shop -- env',
    out: [/^HOSTNAME=cart-7d9f8b6c5d-abcde$/m, /^KUBERNETES_SERVICE_HOST=\S+$/m],
  },
  { cmd: 'kubectl exec deployment/cart -n shop -- nosuchcmd', code: 1, err: [/executable file not found in \$PATH/] },
  {
    cmd: 'kubectl cp {probe} shop/{pod}:/tmp/p.cjs && kubectl exec -n shop {pod} -- node /tmp/p.cjs --format json',
    out: [/"actual": "cart@acme-shop\.iam\.gserviceaccount\.com"/],
  },
  {
    cmd: 'node {bin} probe-pod --workload shop/deployment/cart | kubectl apply -f - && kubectl wait --for=jsonpath={.status.phase}=Succeeded pod/wi-doctor-probe-cart -n shop --timeout=60s && kubectl logs -n shop wi-doctor-probe-cart',
    out: [/^✓ pod-identity\s+the pod is cart@acme-shop\.iam\.gserviceaccount\.com, the expected GSA$/m],
  },
  {
    cmd: 'kubectl delete -n shop pod/wi-doctor-probe-cart configmap/wi-doctor-probe',
    out: [/^pod "wi-doctor-probe-cart" deleted$/m],
  },
  { cmd: 'kubectl exec deployment/cart -n shop -- printenv HOSTNAME', out: [/^cart-7d9f8b6c5d-abcde$/] },
  { cmd: 'kubectl logs deployment/cart -n shop', out: [/\S/] },
  { cmd: 'kubectl logs deployment/cart -n shop --tail=1', out: [/^\S+Z (INFO|ERROR) /] },
  { cmd: 'kubectl logs -n kube-system {mds}', out: [/\S/] },
  // Changing things.
  {
    cmd: 'kubectl annotate serviceaccount api -n shop iam.gke.io/gcp-service-account=cart@acme-shop.iam.gserviceaccount.com --overwrite',
    out: [/^serviceaccount\/api annotated$/],
  },
  {
    cmd: `kubectl patch serviceaccount api -n shop -p '{"metadata":{"annotations":{"iam.gke.io/gcp-service-account":"reader@acme-data.iam.gserviceaccount.com"}}}'`,
    out: [/^serviceaccount\/api patched$/],
  },
  { cmd: 'kubectl label serviceaccount cart -n shop team=payments', out: [/^serviceaccount\/cart labeled$/] },
  { cmd: 'kubectl create serviceaccount newsa -n shop', out: [/^serviceaccount\/newsa created$/] },
  {
    cmd: 'kubectl create serviceaccount newsa -n shop',
    code: 1,
    err: [/^error: failed to create serviceaccount: serviceaccounts "newsa" already exists$/m],
  },
  { cmd: 'kubectl delete serviceaccount newsa -n shop', out: [/^serviceaccount "newsa" deleted$/] },
  { cmd: 'kubectl create namespace staging', out: [/^namespace\/staging created$/] },
  { cmd: 'kubectl delete namespace staging', out: [/^namespace "staging" deleted$/] },
  { cmd: 'kubectl apply -f {dir}/ksa.yaml', out: [/^serviceaccount\/applied created$/] },
  { cmd: 'kubectl apply -f {dir}/ksa.yaml', out: [/^serviceaccount\/applied unchanged$/] },
  { cmd: 'kubectl apply --server-side -f {dir}/ksa-ssa.yaml', out: [/^serviceaccount\/ssa serverside-applied$/] },
  { cmd: 'kubectl apply -f {dir}/netpol.yaml', out: [/^networkpolicy\.networking\.k8s\.io\/allow-metadata created$/] },
  {
    cmd: 'kubectl get netpol -n shop',
    out: [row('NAME', 'POD-SELECTOR', 'AGE'), row('allow-metadata', 'app=cart', '\\S+')],
  },
  {
    cmd: 'kubectl delete -f {dir}/netpol.yaml',
    out: [/^networkpolicy\.networking\.k8s\.io "allow-metadata" deleted$/],
  },
  { cmd: 'kubectl apply -f {dir}/deploy.yaml', out: [/^deployment\.apps\/web created$/] },
  {
    cmd: 'kubectl rollout status deployment/web -n shop --timeout=60s',
    out: [/deployment "web" successfully rolled out/],
  },
  { cmd: 'kubectl apply -f {dir}/bad-field.yaml', code: 1, err: [/strict decoding error: unknown field "spec\.foo"/] },
  {
    cmd: 'kubectl apply -f {dir}/bad-type.yaml',
    code: 1,
    err: [/cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32/],
  },
  {
    cmd: 'kubectl explain serviceaccount',
    out: [/^KIND:\s+ServiceAccount$/m, /^VERSION:\s+v1$/m, /^\s+automountServiceAccountToken\s+<boolean>$/m],
  },
  { cmd: 'kubectl explain pod.spec.serviceAccountName', out: [/^FIELD:\s+serviceAccountName <string>$/m] },
  {
    cmd: `kubectl patch deployment web -n shop -p '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"EXTRA","value":"1"}]}]}}}}'`,
    out: [/^deployment\.apps\/web patched$/],
  },
  {
    cmd: "kubectl get deployment web -n shop -o jsonpath='{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[*].name}'",
    out: [/^nginx:1\.27 (MODE EXTRA|EXTRA MODE)$/],
  },
  {
    cmd: 'kubectl set serviceaccount deployment web missing-sa -n shop',
    out: [/^deployment\.apps\/web serviceaccount updated$/],
  },
  {
    cmd: 'kubectl rollout status deployment/web -n shop --timeout=3s',
    code: 1,
    err: [/timed out waiting for the condition/],
  },
  {
    cmd: 'kubectl get events -n shop --field-selector reason=FailedCreate',
    out: [
      row('LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'),
      /Warning\s+FailedCreate\s+replicaset\/web-\w+\s+Error creating: pods "web-\w+-" is forbidden: error looking up service account shop\/missing-sa: serviceaccount "missing-sa" not found/,
    ],
  },
  { cmd: 'kubectl delete deployment web -n shop', out: [/^deployment\.apps "web" deleted$/] },
  { cmd: 'kubectl scale deployment api -n shop --replicas=2', out: [/^deployment\.apps\/api scaled$/] },
  {
    cmd: 'kubectl rollout status deployment/api -n shop --timeout=60s',
    out: [/deployment "api" successfully rolled out/],
  },
  { cmd: 'kubectl rollout restart deployment/cart -n shop', out: [/^deployment\.apps\/cart restarted$/] },
  {
    cmd: 'kubectl rollout status deployment/cart -n shop --timeout=60s',
    out: [/deployment "cart" successfully rolled out/],
  },
  {
    cmd: 'kubectl wait --for=condition=Available deployment/cart -n shop --timeout=30s',
    out: [/^deployment\.apps\/cart condition met$/],
  },
  {
    cmd: 'kubectl wait --for=condition=Ready pod -l app=cart -n shop --timeout=30s',
    out: [/^pod\/cart-\w+-\w{5} condition met$/m],
  },
  { cmd: 'kubectl get pods -n shop -w --request-timeout=2s', out: [row('NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE')] },
  {
    cmd: 'kubectl get events -n shop',
    out: [/Normal\s+Scheduled\s+pod\/cart-\w+-\w{5}\s+Successfully assigned shop\/cart-\w+-\w{5} to gke-prod-/],
  },
  {
    cmd: 'kubectl rollout history deployment/cart -n shop',
    out: [row('REVISION', 'CHANGE-CAUSE'), row('2', '<none>')],
  },
  { cmd: 'kubectl delete pod {pod} -n shop', out: [/^pod "cart-\w+-\w{5}" deleted$/] },
  // A crash-looping gke-metadata-server.
  {
    scenario: 'metadata-server-down',
    cmd: 'kubectl get pods -n kube-system',
    out: [/^gke-metadata-server-\w{5}\s+0\/1\s+CrashLoopBackOff\s+\d+ \(\S+ ago\)\s+\S+$/m],
  },
  {
    scenario: 'missing-binding',
    cmd: 'kubectl logs -n kube-system {mds}',
    out: [/iam\.serviceAccounts\.getAccessToken/],
  },
];

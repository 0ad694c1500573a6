// The vocabulary of fix actions: checks state fixes as these plans; src/fix/render.ts turns each into
// gcloud, kubectl and Terraform text. Adding an action means adding its renderer; never rename one.
//
// action                       target                                              params
// add-iam-binding              projects/-/serviceAccounts/EMAIL | projects/P |     role, member, [conditionExpression, conditionTitle]
//                              folders/N | organizations/N | //FULL/RESOURCE/NAME
// remove-iam-member            same as add-iam-binding                             role, member
// enable-service               projects/P                                          service
// enable-workload-identity     projects/P/locations/L/clusters/C                   workloadPool
// set-node-pool-metadata       projects/P/locations/L/clusters/C/nodePools/NP      mode (GKE_METADATA)
// annotate-service-account     namespaces/NS/serviceaccounts/NAME                  key, value
// remove-annotation            namespaces/NS/serviceaccounts/NAME                  key
// create-kubernetes-service-account  namespaces/NS/serviceaccounts/NAME            [annotationValue]
// set-service-account-name     namespaces/NS/KIND/NAME (deployments, statefulsets, daemonsets, cronjobs, jobs, pods)
//                                                                                  serviceAccountName
// restart-workload             namespaces/NS/KIND/NAME (pods: delete the pod)      —
// enable-service-account       projects/-/serviceAccounts/EMAIL                    —
// undelete-service-account     projects/-/serviceAccounts/EMAIL                    uniqueId
// create-service-account       projects/P/serviceAccounts/EMAIL                    accountId, project
// allow-metadata-egress        namespaces/NS/networkpolicies/NAME                  podSelector (JSON), cidr, port
// unset-host-network           namespaces/NS/KIND/NAME                             —
// remove-credential-override   namespaces/NS/KIND/NAME                             container, env (or volume)
// delete-service-account-key   projects/-/serviceAccounts/EMAIL                    keyId
// enable-audit-logs            projects/P                                          service, logType (ADMIN_READ, DATA_READ, DATA_WRITE)
// manual                       anything                                            — (description says what to do)

export const FIX_ACTIONS = [
  'add-iam-binding',
  'remove-iam-member',
  'enable-service',
  'enable-workload-identity',
  'set-node-pool-metadata',
  'annotate-service-account',
  'remove-annotation',
  'create-kubernetes-service-account',
  'set-service-account-name',
  'restart-workload',
  'enable-service-account',
  'undelete-service-account',
  'create-service-account',
  'allow-metadata-egress',
  'unset-host-network',
  'remove-credential-override',
  'delete-service-account-key',
  'enable-audit-logs',
  'manual',
] as const;

export type FixActionName = (typeof FIX_ACTIONS)[number];

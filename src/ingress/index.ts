// The Ingress controller's public surface: the controller, IngressClass ownership, the routing
// table and certificate helpers.
export { IngressController, type IngressControllerOptions, SERVICE_NAME_LABEL, TLS_SECRET_TYPE } from './controller.ts';
export { ensureIngressClass, isOurIngress, isDefaultClass, INGRESS_CONTROLLER, DEFAULT_CLASS_NAME, ANN_DEFAULT_INGRESS_CLASS, ANN_LEGACY_INGRESS_CLASS } from './class.ts';
export { RouteTable, normalizeHost, type BackendRef, type Match } from './routes.ts';
export { generateCertificate, generateDefaultCertificate, DEFAULT_CERT_CN, type KeyPairPem, type CertificateRequest } from './certs.ts';
export type { Upstream } from './forward.ts';

// The Kubernetes version the API server reports by default (kubectl picks its minor from it).
export const DEFAULT_VERSION = 'v1.32.4';

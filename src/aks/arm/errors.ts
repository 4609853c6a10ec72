// ARM's error shape: `{"error":{"code","message","target"?}}` with an HTTP status, as Azure
// Resource Manager and AKS answer every failed request (and as operation status carries it).

export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, target?: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ArmError';
    this.status = status;
    this.code = code;
    this.target = target;
    this.headers = headers;
  }

  body(): { error: { code: string; message: string; target?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.target ? { target: this.target } : {}) } };
  }
}

export function notFound(type: string, name: string, group: string): ArmError {
  return new ArmError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
}

export function groupNotFound(group: string): ArmError {
  return new ArmError(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`);
}

export function badRequest(message: string, target?: string): ArmError {
  return new ArmError(400, 'InvalidParameter', message, target);
}

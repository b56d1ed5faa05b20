// The worker-side module `@azure/functions-core` that the real Node.js worker provides to
// @azure/functions (FACTS.md). Implementing it lets the local host receive exactly the registrations
// and invocation model the Functions host would. Shapes follow azure-functions-nodejs-library's
// src/app.ts, ProgrammingModel.ts and InvocationModel.ts (the worker's side of the contract).

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

export interface RpcBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  [option: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface Registration {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  http?: RpcHttpData | null;
  [kind: string]: unknown;
}

export interface RpcNullableString {
  value?: string | null;
}

export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: RpcNullableString | null;
  path?: RpcNullableString | null;
  expires?: { value?: { seconds?: number | null } | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone' | null;
  maxAge?: { value?: number | null } | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  nullableHeaders?: Record<string, RpcNullableString> | null;
  query?: Record<string, string> | null;
  nullableQuery?: Record<string, RpcNullableString> | null;
  params?: Record<string, string> | null;
  nullableParams?: Record<string, RpcNullableString> | null;
  body?: RpcTypedData | null;
  statusCode?: string | null;
  cookies?: RpcHttpCookie[] | null;
}

export interface RpcInvocationRequest {
  functionId?: string | null;
  invocationId?: string | null;
  inputData?: { name?: string | null; data?: RpcTypedData | null }[] | null;
  triggerMetadata?: Record<string, RpcTypedData> | null;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: unknown[] | null;
  returnValue?: RpcTypedData | null;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: FunctionMetadata;
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel;
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type SystemLogger = (level: RpcLogLevel, message: string) => void;

/** What the host keeps from the app's start-up: its programming model and every function it registered. */
export interface CoreApiState {
  registrations: Registration[];
  programmingModel?: ProgrammingModel;
}

export function createCoreApi(state: CoreApiState, systemLog: SystemLogger) {
  return {
    version: '3.10.1',
    hostVersion: '4.1037.0',
    setProgrammingModel(model: ProgrammingModel): void {
      state.programmingModel = model;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return state.programmingModel;
    },
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): { dispose(): void } {
      if (state.registrations.some((registration) => registration.metadata.name === metadata.name)) {
        throw new Error(`A function named "${metadata.name}" is already registered.`);
      }
      const registration = { metadata, callback };
      state.registrations.push(registration);
      return { dispose: () => state.registrations.splice(state.registrations.indexOf(registration), 1) };
    },
    registerHook(hookName: string): never {
      // keyrelay registers no hooks; failing loudly beats silently not running one.
      throw new Error(`The local host does not run "${hookName}" hooks.`);
    },
    log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
      if (category === 'system') systemLog(level, message);
    },
  };
}

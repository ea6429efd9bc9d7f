/**
 * The small subset of `@twilio/flex-ui` types this plugin uses (twilio.md §9), so the package builds without
 * installing the real Flex UI. `tsconfig.json` maps `@twilio/flex-ui` here through `paths`; only types are taken
 * from it (the running Flex UI hands the real objects to `init`).
 */
declare namespace Flex {
  /** `payload.task` of an action: `sid` is the RESERVATION (`WR…`), `taskSid` the task (`WT…`). */
  interface ITask {
    sid: string;
    taskSid: string;
    status?: string;
    taskStatus?: string;
    /** Parsed object, not a JSON string. */
    attributes: Record<string, unknown>;
    /** Seconds. */
    age: number;
    dateCreated?: Date;
    dateUpdated?: Date;
    priority?: number;
    queueName?: string;
    queueSid?: string;
    reason?: string;
    taskChannelSid?: string;
    taskChannelUniqueName?: string;
    channelType?: string;
    timeout?: number;
    workflowName?: string;
    workflowSid?: string;
    workerSid?: string;
  }

  /** Payload of `CompleteTask` / `WrapupTask` / `AcceptTask`: `{task?, sid?}`. */
  interface ActionPayload {
    task?: ITask;
    sid?: string;
    [key: string]: unknown;
  }

  type ActionListener = (payload: ActionPayload, abortOriginal?: () => void) => void;

  interface ActionsApi {
    addListener(actionName: string, listener: ActionListener): void;
    removeListener(actionName: string, listener: ActionListener): void;
  }

  const Actions: ActionsApi;

  interface SsoTokenPayload {
    token: string;
    expiration?: string;
  }

  interface SessionState {
    ssoTokenPayload?: SsoTokenPayload;
  }

  interface AppState {
    flex: { session: SessionState };
  }

  interface ServiceConfiguration {
    account_sid?: string;
    attributes: Record<string, unknown>;
  }

  class Manager {
    static getInstance(): Manager;
    store: { getState(): AppState };
    serviceConfiguration: ServiceConfiguration;
  }
}

export = Flex;

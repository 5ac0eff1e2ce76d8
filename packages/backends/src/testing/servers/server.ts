/** A real server started for tests on 127.0.0.1 with temporary data. */
export interface RunningServer<Info> {
  /** What tests need to reach it (endpoint, credentials of the throwaway instance). */
  readonly info: Info;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

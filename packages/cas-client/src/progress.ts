/** Reported as bytes move, so a caller can draw a progress bar. */
export interface Progress {
  readonly phase: 'hashing' | 'uploading' | 'downloading';
  /** Bytes done in this phase; after a resume it restarts at the resume offset. */
  readonly bytes: number;
  readonly total: number;
}

export type ProgressListener = (progress: Progress) => void;

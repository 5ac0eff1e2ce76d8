/** The CI systems Cairn recognises from their environment, and `local` for anything else. */
export const RUNNER_TYPES = [
  'github-actions',
  'gitlab-ci',
  'jenkins',
  'circleci',
  'azure-pipelines',
  'buildkite',
  'local',
] as const;

export type RunnerType = (typeof RUNNER_TYPES)[number];

/**
 * Where a run ran, as its CI system describes it. Every field but `type` is present only when the
 * environment gave it.
 */
export interface Runner {
  readonly type: RunnerType;
  /** The page of the CI run (pipeline, build or workflow run). */
  readonly url?: string;
  /** The page of the job within that run, when the CI system has one of its own. */
  readonly jobUrl?: string;
  /** The repository or project the CI system built, as it names it. */
  readonly repository?: string;
  /** The CI system's name of the pipeline, workflow or job definition. */
  readonly pipeline?: string;
  /** The job (or stage) within the run. */
  readonly job?: string;
  /** The CI system's id or number of the run. */
  readonly runId?: string;
  /** Which attempt of the run this is, when the CI system counts them. */
  readonly runAttempt?: string;
  /** The branch or ref built. */
  readonly ref?: string;
  /** The commit built. */
  readonly revision?: string;
}

/** The optional fields of a Runner, in the order the predicate lists them. */
export const RUNNER_FIELDS = [
  'url',
  'jobUrl',
  'repository',
  'pipeline',
  'job',
  'runId',
  'runAttempt',
  'ref',
  'revision',
] as const satisfies ReadonlyArray<Exclude<keyof Runner, 'type'>>;

type Env = Readonly<Record<string, string | undefined>>;
type Fields = { -readonly [K in Exclude<keyof Runner, 'type'>]?: string | undefined };

/**
 * The CI system a process runs in, from its environment (pass `process.env`): GitHub Actions, GitLab CI,
 * Jenkins, CircleCI, Azure Pipelines, Buildkite, else `local`. Only the variables each system documents
 * for its runs are read; none of them is a secret.
 */
export function detectRunner(env: Env): Runner {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const is = (name: string): boolean => get(name)?.toLowerCase() === 'true';

  if (is('GITHUB_ACTIONS')) {
    const server = get('GITHUB_SERVER_URL') ?? 'https://github.com';
    const repository = get('GITHUB_REPOSITORY');
    const runId = get('GITHUB_RUN_ID');
    return runner('github-actions', {
      url:
        repository && runId
          ? `${server}/${repository}/actions/runs/${runId}${get('GITHUB_RUN_ATTEMPT') ? `/attempts/${get('GITHUB_RUN_ATTEMPT')}` : ''}`
          : undefined,
      repository,
      pipeline: get('GITHUB_WORKFLOW'),
      job: get('GITHUB_JOB'),
      runId,
      runAttempt: get('GITHUB_RUN_ATTEMPT'),
      ref: get('GITHUB_REF'),
      revision: get('GITHUB_SHA'),
    });
  }
  if (is('GITLAB_CI')) {
    return runner('gitlab-ci', {
      url: get('CI_PIPELINE_URL'),
      jobUrl: get('CI_JOB_URL'),
      repository: get('CI_PROJECT_PATH'),
      pipeline: get('CI_PIPELINE_NAME'),
      job: get('CI_JOB_NAME'),
      runId: get('CI_PIPELINE_ID'),
      ref: get('CI_COMMIT_REF_NAME'),
      revision: get('CI_COMMIT_SHA'),
    });
  }
  if (get('JENKINS_URL') !== undefined && get('BUILD_NUMBER') !== undefined) {
    return runner('jenkins', {
      url: get('BUILD_URL'),
      repository: get('GIT_URL'),
      pipeline: get('JOB_NAME'),
      job: get('STAGE_NAME'),
      runId: get('BUILD_NUMBER'),
      ref: get('GIT_BRANCH') ?? get('BRANCH_NAME'),
      revision: get('GIT_COMMIT'),
    });
  }
  if (is('CIRCLECI')) {
    const user = get('CIRCLE_PROJECT_USERNAME');
    const repo = get('CIRCLE_PROJECT_REPONAME');
    return runner('circleci', {
      url: get('CIRCLE_BUILD_URL'),
      repository: user && repo ? `${user}/${repo}` : get('CIRCLE_REPOSITORY_URL'),
      pipeline: get('CIRCLE_WORKFLOW_ID'),
      job: get('CIRCLE_JOB'),
      runId: get('CIRCLE_BUILD_NUM'),
      ref: get('CIRCLE_BRANCH') ?? get('CIRCLE_TAG'),
      revision: get('CIRCLE_SHA1'),
    });
  }
  if (get('TF_BUILD')?.toLowerCase() === 'true') {
    const collection = get('SYSTEM_COLLECTIONURI');
    const project = get('SYSTEM_TEAMPROJECT');
    const buildId = get('BUILD_BUILDID');
    return runner('azure-pipelines', {
      url:
        collection && project && buildId
          ? `${collection.replace(/\/?$/, '/')}${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(buildId)}`
          : undefined,
      repository: get('BUILD_REPOSITORY_NAME'),
      pipeline: get('BUILD_DEFINITIONNAME'),
      job: get('SYSTEM_JOBDISPLAYNAME') ?? get('AGENT_JOBNAME'),
      runId: buildId,
      ref: get('BUILD_SOURCEBRANCH'),
      revision: get('BUILD_SOURCEVERSION'),
    });
  }
  if (is('BUILDKITE')) {
    const url = get('BUILDKITE_BUILD_URL');
    const jobId = get('BUILDKITE_JOB_ID');
    return runner('buildkite', {
      url,
      jobUrl: url && jobId ? `${url}#${jobId}` : undefined,
      repository: get('BUILDKITE_REPO'),
      pipeline: get('BUILDKITE_PIPELINE_SLUG'),
      job: get('BUILDKITE_LABEL') ?? get('BUILDKITE_STEP_KEY'),
      runId: get('BUILDKITE_BUILD_NUMBER'),
      ref: get('BUILDKITE_BRANCH') ?? get('BUILDKITE_TAG'),
      revision: get('BUILDKITE_COMMIT'),
    });
  }
  return { type: 'local' };
}

// Drops absent fields (the predicate carries no nulls) and URLs that are not http(s) URLs.
function runner(type: RunnerType, fields: Fields): Runner {
  const result: Fields & { type: RunnerType } = { type };
  for (const key of RUNNER_FIELDS) {
    const value = fields[key];
    if (value === undefined) continue;
    if ((key === 'url' || key === 'jobUrl') && !isHttpUrl(value)) continue;
    result[key] = value;
  }
  return result as Runner;
}

/** A copy of a runner with only the documented fields (a runner read back from a state file may carry more). */
export function pickRunner(value: Runner): Runner {
  const result: Fields & { type: RunnerType } = { type: value.type };
  for (const key of RUNNER_FIELDS) {
    const field = value[key];
    if (field !== undefined) result[key] = field;
  }
  return result as Runner;
}

function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}

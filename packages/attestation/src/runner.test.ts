import { describe, expect, it } from 'vitest';
import { detectRunner, type Runner } from './runner.js';

describe('detectRunner', () => {
  const table: Array<[string, Record<string, string>, Runner]> = [
    [
      'GitHub Actions',
      {
        GITHUB_ACTIONS: 'true',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'acme/api',
        GITHUB_RUN_ID: '9876',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_WORKFLOW: 'release',
        GITHUB_JOB: 'build',
        GITHUB_REF: 'refs/tags/v1.2.0',
        GITHUB_SHA: 'f00dfeed',
        GITHUB_TOKEN: 'ghs_secret',
      },
      {
        type: 'github-actions',
        url: 'https://github.com/acme/api/actions/runs/9876/attempts/2',
        repository: 'acme/api',
        pipeline: 'release',
        job: 'build',
        runId: '9876',
        runAttempt: '2',
        ref: 'refs/tags/v1.2.0',
        revision: 'f00dfeed',
      },
    ],
    [
      'GitLab CI',
      {
        GITLAB_CI: 'true',
        CI_PIPELINE_URL: 'https://gitlab.com/acme/api/-/pipelines/77',
        CI_JOB_URL: 'https://gitlab.com/acme/api/-/jobs/555',
        CI_PROJECT_PATH: 'acme/api',
        CI_JOB_NAME: 'attest',
        CI_PIPELINE_ID: '77',
        CI_COMMIT_REF_NAME: 'main',
        CI_COMMIT_SHA: 'abc123',
        CI_JOB_TOKEN: 'secret',
      },
      {
        type: 'gitlab-ci',
        url: 'https://gitlab.com/acme/api/-/pipelines/77',
        jobUrl: 'https://gitlab.com/acme/api/-/jobs/555',
        repository: 'acme/api',
        job: 'attest',
        runId: '77',
        ref: 'main',
        revision: 'abc123',
      },
    ],
    [
      'Jenkins',
      {
        JENKINS_URL: 'https://ci.acme.test/',
        BUILD_URL: 'https://ci.acme.test/job/api/12/',
        BUILD_NUMBER: '12',
        JOB_NAME: 'api',
        GIT_COMMIT: 'abc',
        GIT_BRANCH: 'origin/main',
        GIT_URL: 'https://git.acme.test/api.git',
      },
      {
        type: 'jenkins',
        url: 'https://ci.acme.test/job/api/12/',
        repository: 'https://git.acme.test/api.git',
        pipeline: 'api',
        runId: '12',
        ref: 'origin/main',
        revision: 'abc',
      },
    ],
    [
      'CircleCI',
      {
        CIRCLECI: 'true',
        CIRCLE_BUILD_URL: 'https://circleci.com/gh/acme/api/321',
        CIRCLE_PROJECT_USERNAME: 'acme',
        CIRCLE_PROJECT_REPONAME: 'api',
        CIRCLE_WORKFLOW_ID: 'wf-1',
        CIRCLE_JOB: 'build',
        CIRCLE_BUILD_NUM: '321',
        CIRCLE_BRANCH: 'main',
        CIRCLE_SHA1: 'def',
      },
      {
        type: 'circleci',
        url: 'https://circleci.com/gh/acme/api/321',
        repository: 'acme/api',
        pipeline: 'wf-1',
        job: 'build',
        runId: '321',
        ref: 'main',
        revision: 'def',
      },
    ],
    [
      'Azure Pipelines',
      {
        TF_BUILD: 'True',
        SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme',
        SYSTEM_TEAMPROJECT: 'Platform Team',
        BUILD_BUILDID: '88',
        BUILD_DEFINITIONNAME: 'api-ci',
        SYSTEM_JOBDISPLAYNAME: 'Build job',
        BUILD_REPOSITORY_NAME: 'api',
        BUILD_SOURCEBRANCH: 'refs/heads/main',
        BUILD_SOURCEVERSION: '0a1b',
      },
      {
        type: 'azure-pipelines',
        url: 'https://dev.azure.com/acme/Platform%20Team/_build/results?buildId=88',
        repository: 'api',
        pipeline: 'api-ci',
        job: 'Build job',
        runId: '88',
        ref: 'refs/heads/main',
        revision: '0a1b',
      },
    ],
    [
      'Buildkite',
      {
        BUILDKITE: 'true',
        BUILDKITE_BUILD_URL: 'https://buildkite.com/acme/api/builds/5',
        BUILDKITE_JOB_ID: '0190-aa',
        BUILDKITE_REPO: 'git@github.com:acme/api.git',
        BUILDKITE_PIPELINE_SLUG: 'api',
        BUILDKITE_LABEL: ':hammer: build',
        BUILDKITE_BUILD_NUMBER: '5',
        BUILDKITE_BRANCH: 'main',
        BUILDKITE_COMMIT: '9f9f',
        BUILDKITE_AGENT_ACCESS_TOKEN: 'secret',
      },
      {
        type: 'buildkite',
        url: 'https://buildkite.com/acme/api/builds/5',
        jobUrl: 'https://buildkite.com/acme/api/builds/5#0190-aa',
        repository: 'git@github.com:acme/api.git',
        pipeline: 'api',
        job: ':hammer: build',
        runId: '5',
        ref: 'main',
        revision: '9f9f',
      },
    ],
    ['a laptop', { HOME: '/home/dev', CI: 'true' }, { type: 'local' }],
    ['GITHUB_ACTIONS other than "true"', { GITHUB_ACTIONS: 'false', GITHUB_RUN_ID: '1' }, { type: 'local' }],
  ];
  it.each(table)('%s', (_, env, expected) => {
    const runner = detectRunner(env);
    expect(runner).toEqual(expected);
    expect(JSON.stringify(runner)).not.toContain('secret');
  });

  it('leaves out what the environment does not give, and URLs that are not http(s)', () => {
    expect(
      detectRunner({
        GITLAB_CI: 'true',
        CI_PIPELINE_URL: 'javascript:alert(1)',
        CI_JOB_URL: '',
        CI_JOB_NAME: '  ',
      }),
    ).toEqual({ type: 'gitlab-ci' });
    expect(detectRunner({ GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/api' })).toEqual({
      type: 'github-actions',
      repository: 'acme/api',
    });
  });
});

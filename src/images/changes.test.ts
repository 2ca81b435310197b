import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges, parseGoDuration } from './changes.js';
import { InvalidArgumentError } from '../base/index.js';

void test('change lines build a config', () => {
  const cfg = applyChanges({}, [
    'CMD ["sh"]',
    'entrypoint /docker-entrypoint.sh --flag',
    'ENV A=1 B="two words" C=x\\ y',
    'ENV LEGACY some value here',
    'ENV A=3',
    'WORKDIR /srv',
    'WORKDIR app/../data',
    'USER nobody:nogroup',
    'EXPOSE 80 53/udp 8000-8001/tcp',
    'LABEL org.example.a=b "quoted key"="v v"',
    'VOLUME ["/data", "/logs"]',
    'VOLUME /cache /tmp/x',
    'STOPSIGNAL SIGQUIT',
    'ONBUILD RUN echo hi',
    'HEALTHCHECK --interval=5s --retries=3 CMD ["true"]',
  ]);
  assert.deepEqual(cfg, {
    Cmd: ['sh'],
    Entrypoint: ['/bin/sh', '-c', '/docker-entrypoint.sh --flag'],
    Env: ['A=3', 'B=two words', 'C=x y', 'LEGACY=some value here'],
    WorkingDir: '/srv/data',
    User: 'nobody:nogroup',
    ExposedPorts: { '80/tcp': {}, '53/udp': {}, '8000/tcp': {}, '8001/tcp': {} },
    Labels: { 'org.example.a': 'b', 'quoted key': 'v v' },
    Volumes: { '/data': {}, '/logs': {}, '/cache': {}, '/tmp/x': {} },
    StopSignal: 'SIGQUIT',
    OnBuild: ['RUN echo hi'],
    Healthcheck: { Interval: 5e9, Retries: 3, Test: ['CMD', 'true'] },
  });
  assert.deepEqual(applyChanges({ Cmd: ['a'] }, ['CMD echo "$HOME"']).Cmd, ['/bin/sh', '-c', 'echo "$HOME"']);
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('x'), undefined);
});

void test('bad change lines are refused', () => {
  for (const [line, re] of [
    ['FOO bar', /dockerfile parse error on line 1: unknown instruction: FOO/],
    ['RUN echo', /run is not a valid change command/],
    ['CMD', /CMD requires at least one argument/],
    ['EXPOSE 99999', /Invalid containerPort/],
    ['EXPOSE abc', /Invalid containerPort/],
    ['ENV', /requires at least one argument/],
    ['ENV A="unterminated', /unmatched quote/],
    ['USER a b', /exactly one argument/],
    ['HEALTHCHECK --bogus=1 CMD x', /unknown flag/],
  ] as const) {
    assert.throws(() => applyChanges({}, [line]), (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message), line);
  }
});

/**
 * `osls package` of serverless.yml, offline: the CloudFormation template it writes is what `osls deploy` would
 * send. Asserts the five functions, their events, the table, and least privilege of every role. Needs no bed;
 * it is here because it is slow (esbuild of five bundles). Any AWS call (or any other HTTP request) would go
 * to a local socket that counts connections, and the test expects none.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  buildLambdaBundle,
  bundleIncludes,
  LAMBDA_FUNCTIONS,
  type LambdaFunctionName,
  SERVICE_DIR,
} from '../../bench/deploy/lambda-bundles.js';
import { loadConfig } from '../../src/config.js';
import { smokeSettingSchema } from '../../src/smoke/smoke-setting.js';
import { storeTableDefinition } from '../../src/store/dynamodb/store-table.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: JsonObject;
}

/** Zip budgets (bytes): a bundle that outgrows its budget slows every cold start. */
const ZIP_BUDGET: Record<LambdaFunctionName, number> = {
  slack: 1.25 * 1024 * 1024,
  // The worker draws RED charts for /canary metrics: the same embedded renderer.
  worker: 2.75 * 1024 * 1024,
  tick: 1.25 * 1024 * 1024,
  // The chart renderer (resvg as WebAssembly, 3.3 MB) and its font are embedded, decoded on the first chart only.
  summary: 2.25 * 1024 * 1024,
  flagger: 1024 * 1024,
};

const AMP_WORKSPACE = 'arn:aws:aps:eu-west-1:111122223333:workspace/ws-0123abcd';
const KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/00000000-1111-2222-3333-444444444444';
const CLUSTERS = JSON.stringify({
  prod: {
    kube: {
      mode: 'eks',
      clusterName: 'prod',
      region: 'eu-west-1',
      endpoint: 'https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com',
      // Base64 padding: a '=' inside a --param value must survive.
      certificateAuthorityData: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==',
    },
  },
});
const POLICY = JSON.stringify({
  workspaces: ['T0123PROD'],
  default: { starters: ['S0DEVELOPERS'], approvers: ['S0PLATFORM'], fourEyes: true },
});
// Custom checks: PromQL with quotes, braces and brackets must reach every function as written.
const CHECKS = JSON.stringify({
  namespaces: {
    shop: [
      {
        name: 'checkout failures',
        kind: 'ratio',
        better: 'lower',
        events:
          'sum(increase(shop_checkouts_total{namespace="{{ namespace }}", version="{{ version }}", outcome="failed"}[{{ window }}]))',
        total:
          'sum(increase(shop_checkouts_total{namespace="{{ namespace }}", version="{{ version }}"}[{{ window }}]))',
        floor: 0.01,
      },
    ],
  },
});
// Smoke traffic: a template with variables and a header that a gateway needs, for the worker only.
const SMOKE = JSON.stringify({
  maxRate: 5,
  namespaces: {
    shop: {
      url: 'https://internal-gateway.shop.example/healthz?probe={{ release }}',
      headers: { host: '{{ service }}.{{ namespace }}.svc.cluster.local', 'x-gateway-key': 'k"e{y}' },
      rate: 5,
    },
  },
});
// Change events: a generic (signed) target and a PagerDuty one, for the worker only.
const WEBHOOKS = JSON.stringify({
  default: [{ url: 'https://hooks.example.com/canary', format: 'generic' }],
  namespaces: {
    payments: [
      {
        url: 'https://events.pagerduty.com/v2/change/enqueue',
        format: 'pagerduty',
        routingKey: 'R0123456789abcdefABCDEF012345678',
      },
    ],
  },
});
const PACKAGE_TIMEOUT_MS = 240_000;

const logicalId = (fn: LambdaFunctionName) => `${fn[0]!.toUpperCase()}${fn.slice(1)}`;

let work: string;
let blackhole: Server;
let connections = 0;
let exit: { code: number | null; signal: string | null; output: string };
let template: { Resources: Record<string, JsonObject>; Conditions: Record<string, Json> };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'canary-bot-package-'));
  blackhole = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  const address = blackhole.address();
  if (!address || typeof address === 'string') throw new Error('no blackhole port');
  const nowhere = `http://127.0.0.1:${address.port}`;
  exit = await runOsls(
    [
      'package',
      '--stage',
      'prod',
      '--region',
      'eu-west-1',
      '--package',
      join(work, 'package'),
      `--param=clusters=${CLUSTERS}`,
      '--param=prometheusUrl=https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123abcd',
      `--param=ampWorkspaceArns=${AMP_WORKSPACE}`,
      `--param=ssmKmsKeyArn=${KMS_KEY}`,
      `--param=policy=${POLICY}`,
      `--param=checks=${CHECKS}`,
      `--param=smoke=${SMOKE}`,
      `--param=webhooks=${WEBHOOKS}`,
      '--param=webhookSecretParameter=/canary-bot/prod/webhook-secret',
      // A Flagger rotation in progress: the previous master's parameter is granted too.
      '--param=flaggerSecretPreviousParameter=/canary-bot/prod/flagger-secret-previous',
    ],
    {
      // Dummy credentials; every AWS SDK client and proxy-aware HTTP client points at the counting socket.
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: nowhere,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(work, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
      HTTP_PROXY: nowhere,
      HTTPS_PROXY: nowhere,
      http_proxy: nowhere,
      https_proxy: nowhere,
      NO_PROXY: '',
      no_proxy: '',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      SLS_INTERACTIVE_SETUP_DISABLE: '1',
      CI: 'true',
      LAMBDA_BUNDLE_WORK_FOLDER: relative(SERVICE_DIR, join(work, 'esbuild')),
    },
  );
  if (exit.code === 0) {
    template = JSON.parse(
      readFileSync(join(work, 'package', 'cloudformation-template-update-stack.json'), 'utf8'),
    );
  }
}, PACKAGE_TIMEOUT_MS + 30_000);

afterAll(async () => {
  await new Promise((resolve) => blackhole?.close(resolve));
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the project's osls on the project's Node 22, killed after PACKAGE_TIMEOUT_MS. */
function runOsls(args: string[], env: Record<string, string>): Promise<typeof exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(SERVICE_DIR, 'node_modules/osls/bin/serverless.js'), ...args],
      {
        cwd: SERVICE_DIR,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), PACKAGE_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

function resource(id: string): JsonObject {
  const found = template.Resources[id];
  if (!found) throw new Error(`no resource ${id} in the template`);
  return found;
}

const props = (id: string) => resource(id).Properties as JsonObject;

/** Evaluates the template's Conditions (only Fn::Not and Fn::Equals on literals are used). */
function conditionValue(name: string): boolean {
  const evaluate = (node: Json): Json => {
    if (node && typeof node === 'object' && !Array.isArray(node)) {
      if ('Fn::Not' in node) return !evaluate((node['Fn::Not'] as Json[])[0]!);
      if ('Fn::Equals' in node) {
        const [a, b] = node['Fn::Equals'] as Json[];
        return JSON.stringify(evaluate(a!)) === JSON.stringify(evaluate(b!));
      }
      if ('Condition' in node) return conditionValue(String(node.Condition));
    }
    return node;
  };
  const definition = template.Conditions[name];
  if (definition === undefined) throw new Error(`no condition ${name}`);
  return evaluate(definition) === true;
}

/** A role's statements with every Fn::If resolved (`overrides` force a condition either way). */
function statementsOf(fn: LambdaFunctionName, overrides: Record<string, boolean> = {}): Statement[] {
  const policies = props(`${logicalId(fn)}Role`).Policies as JsonObject[];
  const statements: Statement[] = [];
  for (const policy of policies) {
    for (const entry of (policy.PolicyDocument as JsonObject).Statement as Json[]) {
      let statement: Json = entry;
      if (statement && typeof statement === 'object' && !Array.isArray(statement) && 'Fn::If' in statement) {
        const [condition, whenTrue, whenFalse] = statement['Fn::If'] as Json[];
        const holds = overrides[String(condition)] ?? conditionValue(String(condition));
        statement = holds ? whenTrue! : whenFalse!;
      }
      if (statement && typeof statement === 'object' && !Array.isArray(statement) && 'Ref' in statement) {
        expect(statement.Ref).toBe('AWS::NoValue');
        continue;
      }
      statements.push(statement as unknown as Statement);
    }
  }
  return statements;
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const resourcesOf = (statement: Statement) => [statement.Resource].flat();
const allActions = (fn: LambdaFunctionName, overrides?: Record<string, boolean>) =>
  [...new Set(statementsOf(fn, overrides).flatMap(actionsOf))].sort();
const grantsOf = (fn: LambdaFunctionName, action: string, overrides?: Record<string, boolean>) =>
  statementsOf(fn, overrides).filter((s) => actionsOf(s).includes(action));

/** The parameter ARN that serverless.yml builds for an SSM parameter name. */
const parameterArn = (name: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`,
});
const tableArn = { 'Fn::GetAtt': ['ReleaseTable', 'Arn'] };
const indexArn = (index: string) => ({ 'Fn::Sub': `\${ReleaseTable.Arn}/index/${index}` });

/** A function's environment as Lambda would see it: conditions applied, references to this stack resolved. */
function resolvedEnvironment(
  fn: LambdaFunctionName,
  overrides: Record<string, boolean> = {},
): Record<string, string> {
  const names: Record<string, string> = {
    ReleaseTable: 'canary-bot-prod',
    WorkQueue: 'https://sqs.eu-west-1.amazonaws.com/111122223333/canary-bot-prod-work.fifo',
  };
  const variables = (props(`${logicalId(fn)}LambdaFunction`).Environment as JsonObject)
    .Variables as JsonObject;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(variables)) {
    let v: Json = value;
    if (v && typeof v === 'object' && !Array.isArray(v) && 'Fn::If' in v) {
      const [condition, whenTrue, whenFalse] = v['Fn::If'] as Json[];
      v = (overrides[String(condition)] ?? conditionValue(String(condition))) ? whenTrue! : whenFalse!;
    }
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      'Fn::Sub' in v &&
      typeof v['Fn::Sub'] === 'string'
    ) {
      const pseudo: Record<string, string> = {
        HttpApi: 'a1b2c3d4e5',
        'AWS::Region': 'eu-west-1',
        'AWS::URLSuffix': 'amazonaws.com',
      };
      v = v['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, name: string) => pseudo[name] ?? `<unresolved ${name}>`);
    }
    if (v && typeof v === 'object' && !Array.isArray(v) && 'Ref' in v) {
      if (v.Ref === 'AWS::NoValue') continue;
      v = names[String(v.Ref)] ?? null;
    }
    if (typeof v !== 'string')
      throw new Error(`${fn}: ${key} is not a plain value: ${JSON.stringify(value)}`);
    env[key] = v;
  }
  return env;
}

/** The names of a zip's entries, from its central directory. */
function zipEntries(file: string): string[] {
  const zip = readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error(`${file} is not a zip`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    names.push(zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
    at += 46 + nameLength + extra;
  }
  return names;
}

describe('osls package (offline)', () => {
  test('exits 0 within its time limit and makes no network connection', () => {
    // Assess
    expect({
      code: exit.code,
      signal: exit.signal,
      tail: exit.code === 0 ? '' : exit.output.slice(-3000),
    }).toEqual({ code: 0, signal: null, tail: '' });
    expect(connections).toBe(0);
  });

  test('five functions on nodejs22.x (arm64), each with its own role and handler', () => {
    for (const fn of LAMBDA_FUNCTIONS) {
      const p = props(`${logicalId(fn)}LambdaFunction`);
      expect({ fn, runtime: p.Runtime, arch: p.Architectures, handler: p.Handler, role: p.Role }).toEqual({
        fn,
        runtime: 'nodejs22.x',
        arch: ['arm64'],
        handler: `handlers/${fn}.handler`,
        role: { 'Fn::GetAtt': [`${logicalId(fn)}Role`, 'Arn'] },
      });
    }
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(5);
    // No shared default role that every function would get.
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  test('schedules: tick every minute, summary every 5 minutes; nothing else is scheduled', () => {
    const rules = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => {
        const p = r.Properties as JsonObject;
        const [target] = p.Targets as JsonObject[];
        return { schedule: p.ScheduleExpression, target: target?.Arn };
      });
    expect(rules).toEqual(
      expect.arrayContaining([
        { schedule: 'rate(1 minute)', target: { 'Fn::GetAtt': ['TickLambdaFunction', 'Arn'] } },
        { schedule: 'rate(5 minutes)', target: { 'Fn::GetAtt': ['SummaryLambdaFunction', 'Arn'] } },
      ]),
    );
    expect(rules).toHaveLength(2);
    // An overrunning tick is not doubled: one at a time, stale events dropped.
    expect(props('TickLambdaFunction').ReservedConcurrentExecutions).toBe(1);
    expect(props('TickLambdaEvConf')).toMatchObject({
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  test('HTTP API routes: POST /slack/events and GET /releases/{id} to slack, ANY /flagger/{proxy+} to flagger, nothing else', () => {
    const routes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => {
        const p = r.Properties as JsonObject;
        const target = JSON.stringify(p.Target);
        const integration = /HttpApiIntegration(\w+)/.exec(target)?.[1];
        const fn = (props(`HttpApiIntegration${integration}`).IntegrationUri as JsonObject)['Fn::GetAtt'];
        return { route: p.RouteKey, fn, authorization: p.AuthorizationType ?? 'NONE' };
      });
    expect(routes).toEqual(
      expect.arrayContaining([
        { route: 'POST /slack/events', fn: ['SlackLambdaFunction', 'Arn'], authorization: 'NONE' },
        // The page a release link points at: it shows nothing of the release (unit/slack-surfaces).
        { route: 'GET /releases/{id}', fn: ['SlackLambdaFunction', 'Arn'], authorization: 'NONE' },
        { route: 'ANY /flagger/{proxy+}', fn: ['FlaggerLambdaFunction', 'Arn'], authorization: 'NONE' },
      ]),
    );
    expect(routes).toHaveLength(3);
  });

  test('the worker: fed by the FIFO work queue (partial batch failures), a retry, then the dead-letter queue', () => {
    const timeout = props('WorkerLambdaFunction').Timeout as number;
    const mappings = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping',
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['WorkQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['WorkerLambdaFunction', 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const queue = props('WorkQueue');
    expect(queue).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      QueueName: 'canary-bot-prod-work.fifo',
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': ['WorkDeadLetterQueue', 'Arn'] },
        maxReceiveCount: 2,
      },
    });
    // A message never comes back while a worker may still be on it (AWS: at least six times the timeout).
    expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
    expect(props('WorkDeadLetterQueue')).toMatchObject({
      FifoQueue: true,
      QueueName: 'canary-bot-prod-work-dlq.fifo',
    });
    // Nothing invokes the worker any other way.
    expect(template.Resources.WorkerLambdaEvConf).toBeUndefined();
  });

  test('alarms: a dead letter, and a release that could not be judged', () => {
    expect(props('DeadLettersAlarm')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['WorkDeadLetterQueue', 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(props('UnjudgedReleasesAlarm')).toMatchObject({
      Namespace: 'CanaryBot',
      MetricName: 'UnjudgedRelease',
      Dimensions: [{ Name: 'service', Value: 'canary-bot-worker' }],
      Threshold: 0,
    });
  });

  test('the table is storeTableDefinition() plus TTL on ttl and point-in-time recovery, and is retained', () => {
    // Prepare
    const expected = storeTableDefinition('canary-bot-prod');
    // Act
    const table = resource('ReleaseTable');
    const p = table.Properties as JsonObject;
    // Assess
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Retain');
    expect({
      TableName: p.TableName,
      BillingMode: p.BillingMode,
      AttributeDefinitions: p.AttributeDefinitions,
      KeySchema: p.KeySchema,
      GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
    }).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  test('no role has a wildcard action or a wildcard resource; logs only to its own log group', () => {
    for (const fn of LAMBDA_FUNCTIONS) {
      for (const overrides of [{}, { UsesAmp: false, UsesSsmKmsKey: false }] as Record<string, boolean>[]) {
        for (const statement of statementsOf(fn, overrides)) {
          expect({ fn, effect: statement.Effect }).toEqual({ fn, effect: 'Allow' });
          for (const action of actionsOf(statement)) {
            expect({ fn, action }).toEqual({ fn, action: expect.not.stringContaining('*') });
          }
          for (const target of resourcesOf(statement)) {
            expect({ fn, target: JSON.stringify(target) }).toEqual({
              fn,
              target: expect.not.stringContaining('*'),
            });
          }
        }
      }
      expect(grantsOf(fn, 'logs:PutLogEvents').flatMap(resourcesOf)).toEqual([
        { 'Fn::GetAtt': [`${logicalId(fn)}LogGroup`, 'Arn'] },
      ]);
    }
  });

  test('each function gets exactly the actions its code calls', () => {
    const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    const common = [...logs, 'ssm:GetParameter', 'kms:Decrypt'];
    const expected: Record<LambdaFunctionName, string[]> = {
      // Replay claims, the service catalog the worker keeps (GetItem), the work queue.
      slack: [...common, 'dynamodb:PutItem', 'dynamodb:GetItem', 'sqs:SendMessage'],
      worker: [
        ...common,
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'sqs:SendMessage',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ChangeMessageVisibility',
        'aps:QueryMetrics',
      ],
      // No secret, no table write, no Kubernetes: it reads and fans out.
      tick: [...logs, 'dynamodb:Query', 'sqs:SendMessage', 'aps:QueryMetrics'],
      summary: [...common, 'dynamodb:Query', 'dynamodb:PutItem', 'aps:QueryMetrics'],
      flagger: [...common, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    };
    for (const fn of LAMBDA_FUNCTIONS) {
      expect({ fn, actions: allActions(fn) }).toEqual({ fn, actions: [...expected[fn]].sort() });
    }
  });

  test('the work queue: slack, tick and worker send to it, only the worker receives; no function invokes a Lambda', () => {
    const queue = { 'Fn::GetAtt': ['WorkQueue', 'Arn'] };
    for (const fn of LAMBDA_FUNCTIONS) {
      const sends = ['slack', 'tick', 'worker'].includes(fn) ? [queue] : [];
      expect({ fn, sends: grantsOf(fn, 'sqs:SendMessage').flatMap(resourcesOf) }).toEqual({ fn, sends });
      expect({ fn, receives: grantsOf(fn, 'sqs:ReceiveMessage').flatMap(resourcesOf) }).toEqual({
        fn,
        receives: fn === 'worker' ? [queue] : [],
      });
      expect({ fn, invoke: grantsOf(fn, 'lambda:InvokeFunction') }).toEqual({ fn, invoke: [] });
    }
  });

  test('DynamoDB: the table and its indexes only; slack writes claim items only; summary and flagger never delete', () => {
    for (const fn of LAMBDA_FUNCTIONS) {
      const targets = statementsOf(fn)
        .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))
        .flatMap(resourcesOf)
        .map((t) => JSON.stringify(t));
      const allowed = [tableArn, indexArn('active'), indexArn('by-service')].map((t) => JSON.stringify(t));
      for (const target of targets)
        expect({ fn, allowed: allowed.includes(target), target }).toMatchObject({ allowed: true });
    }
    // slack: replay claims, and reading the service catalog the worker keeps; nothing else.
    const [claims, catalog, ...others] = statementsOf('slack').filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(others).toEqual([]);
    expect(claims).toMatchObject({
      Action: 'dynamodb:PutItem',
      Resource: tableArn,
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CLAIM#*'] } },
    });
    expect(catalog).toMatchObject({
      Action: 'dynamodb:GetItem',
      Resource: tableArn,
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['REC#service-catalog'] } },
    });
    // tick: the active index, and the record partitions of the chat releases still owe and of the home
    // tabs' out-of-date mark, nothing else.
    expect(grantsOf('tick', 'dynamodb:Query')).toEqual([
      expect.objectContaining({ Resource: indexArn('active') }),
      expect.objectContaining({
        Resource: tableArn,
        Condition: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['REC#chat-outbox', 'REC#homes'] },
        },
      }),
    ]);
    expect(grantsOf('tick', 'dynamodb:PutItem')).toEqual([]);
    expect(grantsOf('summary', 'dynamodb:DeleteItem')).toEqual([]);
    // summary: one Query of the subscription records, the active index, and claims of its own slots only.
    expect(grantsOf('summary', 'dynamodb:PutItem')).toEqual([
      expect.objectContaining({
        Resource: tableArn,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CLAIM#summary:*'] } },
      }),
    ]);
    expect(grantsOf('summary', 'dynamodb:Query')).toEqual([
      expect.objectContaining({
        Resource: tableArn,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['REC#subscription'] } },
      }),
      expect.objectContaining({ Resource: indexArn('active') }),
    ]);
    // Retried safely (slots from the event's time, digests claimed), never hours late.
    expect(props('SummaryLambdaEvConf')).toMatchObject({
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 900,
    });
    expect(grantsOf('flagger', 'dynamodb:DeleteItem')).toEqual([]);
    // flagger: its revision records, audit entries and claims only; never a release or a route lock.
    const flaggerStatements = statementsOf('flagger').filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(flaggerStatements).toEqual([
      expect.objectContaining({
        Resource: tableArn,
        Condition: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': ['REC#flagger-revision', 'REL#flagger:*', 'CLAIM#flagger-*'],
          },
        },
      }),
    ]);
  });

  test('secrets: each function gets only the ssm: references it uses, and GetParameter on exactly those', () => {
    const signing = '/canary-bot/prod/slack-signing-secret';
    const bot = '/canary-bot/prod/slack-bot-token';
    const flagger = '/canary-bot/prod/flagger-secret';
    const previous = '/canary-bot/prod/flagger-secret-previous';
    const secretsOf: Record<LambdaFunctionName, Record<string, string>> = {
      // The internet-facing ingress: the signing secret, and the bot token for views.open (Slack's trigger
      // window is three seconds: the form must be opened by the function that receives the click).
      slack: { CANARY_BOT_SLACK_SIGNING_SECRET: signing, CANARY_BOT_SLACK_BOT_TOKEN: bot },
      worker: {
        CANARY_BOT_SLACK_BOT_TOKEN: bot,
        CANARY_BOT_WEBHOOK_SECRET: '/canary-bot/prod/webhook-secret',
      },
      // The tick never calls Slack: no secret at all.
      tick: {},
      summary: { CANARY_BOT_SLACK_BOT_TOKEN: bot },
      // The internet-facing Flagger function: its masters and the bot token, never the signing secret.
      flagger: {
        CANARY_BOT_SLACK_BOT_TOKEN: bot,
        CANARY_BOT_FLAGGER_SECRET: flagger,
        CANARY_BOT_FLAGGER_SECRET_PREVIOUS: previous,
      },
    };
    for (const fn of LAMBDA_FUNCTIONS) {
      const variables = resolvedEnvironment(fn, { RotatesFlaggerSecret: true });
      const references = Object.fromEntries(
        Object.entries(variables).filter(([, value]) => value.startsWith('ssm:')),
      );
      expect({ fn, references }).toEqual({
        fn,
        references: Object.fromEntries(Object.entries(secretsOf[fn]).map(([k, v]) => [k, `ssm:${v}`])),
      });
      // Nothing that looks like a Slack token or a long secret, anywhere in the environment.
      expect({ fn, env: JSON.stringify(variables) }).toEqual({
        fn,
        env: expect.not.stringMatching(/xox[abpr]-|xapp-|"[A-Za-z0-9+/]{40,}"/),
      });
      const parameters = grantsOf(fn, 'ssm:GetParameter').flatMap(resourcesOf);
      expect({ fn, parameters }).toEqual({ fn, parameters: Object.values(secretsOf[fn]).map(parameterArn) });
    }
    // Without a rotation, the previous master is neither in the environment nor granted.
    expect(resolvedEnvironment('flagger', { RotatesFlaggerSecret: false })).not.toHaveProperty(
      'CANARY_BOT_FLAGGER_SECRET_PREVIOUS',
    );
    expect(
      grantsOf('flagger', 'ssm:GetParameter', { RotatesFlaggerSecret: false }).flatMap(resourcesOf),
    ).toEqual([parameterArn(bot), parameterArn(flagger)]);
  });

  test('each function has exactly its environment variables', () => {
    const common = [
      'CANARY_BOT_STORE',
      'CANARY_BOT_TABLE',
      'CANARY_BOT_QUEUE_URL',
      'CANARY_BOT_CLUSTERS',
      'CANARY_BOT_POLICY',
      'CANARY_BOT_DEFAULT_NAMESPACE',
      'CANARY_BOT_SUMMARY_TIME_ZONE',
      'CANARY_BOT_PROMETHEUS_URL',
      'CANARY_BOT_CHECKS',
    ];
    const own: Record<LambdaFunctionName, string[]> = {
      slack: ['CANARY_BOT_SLACK_SIGNING_SECRET', 'CANARY_BOT_SLACK_BOT_TOKEN', 'CANARY_BOT_PUBLIC_URL'],
      worker: [
        'CANARY_BOT_SLACK_BOT_TOKEN',
        'CANARY_BOT_SMOKE',
        'CANARY_BOT_PUBLIC_URL',
        'CANARY_BOT_WEBHOOKS',
        'CANARY_BOT_WEBHOOK_SECRET',
      ],
      tick: [],
      summary: ['CANARY_BOT_SLACK_BOT_TOKEN'],
      flagger: [
        'CANARY_BOT_SLACK_BOT_TOKEN',
        'CANARY_BOT_FLAGGER_SECRET',
        'CANARY_BOT_FLAGGER_SECRET_PREVIOUS',
      ],
    };
    for (const fn of LAMBDA_FUNCTIONS) {
      const names = Object.keys(resolvedEnvironment(fn, { RotatesFlaggerSecret: true })).sort();
      expect({ fn, names }).toEqual({ fn, names: [...common, ...own[fn]].sort() });
    }
  });

  test('each function: exactly these actions on exactly these resources', () => {
    const everything = { UsesAmp: true, UsesSsmKmsKey: true, RotatesFlaggerSecret: true };
    const logGroup = (fn: LambdaFunctionName) => ({ 'Fn::GetAtt': [`${logicalId(fn)}LogGroup`, 'Arn'] });
    const queue = { 'Fn::GetAtt': ['WorkQueue', 'Arn'] };
    const amp = { 'Fn::Split': [',', AMP_WORKSPACE] };
    type Grant = [string, Json];
    const ssm = (...names: string[]) =>
      names.map((n): Grant => ['ssm:GetParameter', parameterArn(`/canary-bot/prod/${n}`)]);
    const logs = (fn: LambdaFunctionName): Grant[] => [
      ['logs:CreateLogStream', logGroup(fn)],
      ['logs:PutLogEvents', logGroup(fn)],
    ];
    const table = (...actions: string[]) => actions.map((a): Grant => [`dynamodb:${a}`, tableArn]);
    const expected: Record<LambdaFunctionName, [string, Json][]> = {
      slack: [
        ...logs('slack'),
        ...ssm('slack-signing-secret', 'slack-bot-token'),
        ['kms:Decrypt', KMS_KEY],
        ...table('PutItem', 'GetItem'),
        ['sqs:SendMessage', queue],
      ],
      worker: [
        ...logs('worker'),
        ...ssm('slack-bot-token', 'webhook-secret'),
        ['kms:Decrypt', KMS_KEY],
        ...table('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
        ['dynamodb:Query', indexArn('active')],
        ['dynamodb:Query', indexArn('by-service')],
        ...[
          'SendMessage',
          'ReceiveMessage',
          'DeleteMessage',
          'GetQueueAttributes',
          'ChangeMessageVisibility',
        ].map((a): [string, Json] => [`sqs:${a}`, queue]),
        ['aps:QueryMetrics', amp],
      ],
      tick: [
        ...logs('tick'),
        ['dynamodb:Query', indexArn('active')],
        ['dynamodb:Query', tableArn],
        ['sqs:SendMessage', queue],
        ['aps:QueryMetrics', amp],
      ],
      summary: [
        ...logs('summary'),
        ...ssm('slack-bot-token'),
        ['kms:Decrypt', KMS_KEY],
        ...table('Query', 'PutItem'),
        ['dynamodb:Query', indexArn('active')],
        ['aps:QueryMetrics', amp],
      ],
      flagger: [
        ...logs('flagger'),
        ...ssm('slack-bot-token', 'flagger-secret', 'flagger-secret-previous'),
        ['kms:Decrypt', KMS_KEY],
        ...table('GetItem', 'PutItem', 'UpdateItem'),
      ],
    };
    const key = ([action, target]: [string, Json]) => `${action} ${JSON.stringify(target)}`;
    for (const fn of LAMBDA_FUNCTIONS) {
      const grants = statementsOf(fn, everything).flatMap((s) =>
        actionsOf(s).flatMap((action) => resourcesOf(s).map((target): [string, Json] => [action, target])),
      );
      expect({ fn, grants: grants.map(key).sort() }).toEqual({ fn, grants: expected[fn].map(key).sort() });
    }
  });

  test("README's IAM table is the template's: SSM parameters and actions per function", () => {
    // Prepare
    const readme = readFileSync(join(SERVICE_DIR, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('<!-- iam-table -->'), readme.indexOf('<!-- /iam-table -->'));
    const rows = table.split('\n').filter((line) => /^\| `[a-z]+` \|/.test(line));
    // Act
    const documented = Object.fromEntries(
      rows.map((row) => {
        const [, fn, parameters, actions] = row.split('|').map((cell) => cell.trim());
        const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
        return [
          fn!.replaceAll('`', ''),
          {
            parameters: names(parameters!).sort(),
            actions: [...new Set(names(actions!).filter((a) => /^[a-z0-9]+:[A-Za-z]+$/.test(a)))].sort(),
          },
        ];
      }),
    );
    // Assess
    const everything = { UsesAmp: true, UsesSsmKmsKey: true, RotatesFlaggerSecret: true };
    const template = Object.fromEntries(
      LAMBDA_FUNCTIONS.map((fn) => [
        fn,
        {
          parameters: grantsOf(fn, 'ssm:GetParameter', everything)
            .flatMap(resourcesOf)
            .map((r) =>
              String((r as JsonObject)['Fn::Sub'])
                .split('/')
                .at(-1),
            )
            .sort(),
          actions: allActions(fn, everything),
        },
      ]),
    );
    expect(documented).toEqual(template);
  });

  test('KMS only for a customer managed key and only through SSM; AMP only when workspaces are given', () => {
    expect([conditionValue('UsesSsmKmsKey'), conditionValue('UsesAmp')]).toEqual([true, true]);
    for (const fn of LAMBDA_FUNCTIONS.filter((f) => f !== 'tick')) {
      expect({ fn, kms: grantsOf(fn, 'kms:Decrypt') }).toEqual({
        fn,
        kms: [
          expect.objectContaining({
            Resource: KMS_KEY,
            Condition: {
              StringEquals: { 'kms:ViaService': { 'Fn::Sub': `ssm.\${AWS::Region}.amazonaws.com` } },
            },
          }),
        ],
      });
      expect({ fn, kms: grantsOf(fn, 'kms:Decrypt', { UsesSsmKmsKey: false }) }).toEqual({ fn, kms: [] });
    }
    expect(grantsOf('tick', 'kms:Decrypt')).toEqual([]);
    for (const fn of LAMBDA_FUNCTIONS) {
      const amp = grantsOf(fn, 'aps:QueryMetrics').flatMap(resourcesOf);
      expect({ fn, amp }).toEqual({
        fn,
        amp: ['slack', 'flagger'].includes(fn) ? [] : [{ 'Fn::Split': [',', AMP_WORKSPACE] }],
      });
      expect({ fn, amp: grantsOf(fn, 'aps:QueryMetrics', { UsesAmp: false }) }).toEqual({ fn, amp: [] });
    }
    expect(template.Conditions.UsesAmp).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [AMP_WORKSPACE, ''] }] });
  });

  test("every function's environment is a valid configuration once its ssm: references are read", async () => {
    for (const fn of LAMBDA_FUNCTIONS) {
      // Prepare: what Lambda adds to every function's environment.
      const env = {
        ...resolvedEnvironment(fn),
        AWS_REGION: 'eu-west-1',
        AWS_LAMBDA_FUNCTION_NAME: `canary-bot-prod-${fn}`,
      };
      const asked: string[] = [];
      const secrets = async (reference: string) => {
        asked.push(reference);
        return reference.includes('bot-token') ? 'xoxb-from-ssm' : 'a-secret-read-from-ssm-0123456789';
      };
      // Act
      const config = await loadConfig(env, secrets);
      // Assess
      expect({ fn, store: config.store, queue: config.queue?.url, policy: config.policy }).toEqual({
        fn,
        store: { kind: 'dynamodb', tableName: 'canary-bot-prod', region: 'eu-west-1' },
        queue: 'https://sqs.eu-west-1.amazonaws.com/111122223333/canary-bot-prod-work.fifo',
        policy: JSON.parse(POLICY),
      });
      expect({
        fn,
        checks: config.customChecks.namespaces?.shop?.map((c) => (c.kind === 'ratio' ? c.events : '')),
      }).toEqual({
        fn,
        checks: [JSON.parse(CHECKS).namespaces.shop[0].events],
      });
      // The smoke setting reaches the worker as written, and no other function.
      expect({ fn, smoke: config.smoke }).toEqual({
        fn,
        smoke: fn === 'worker' ? smokeSettingSchema.parse(JSON.parse(SMOKE)) : {},
      });
      // The webhooks and their signing secret reach the worker only.
      expect({ fn, webhooks: config.webhooks, signs: config.webhookSecret !== undefined }).toEqual({
        fn,
        webhooks: fn === 'worker' ? JSON.parse(WEBHOOKS) : undefined,
        signs: fn === 'worker',
      });
      expect({ fn, prometheus: config.clusters.prod?.prometheus.url }).toEqual({
        fn,
        prometheus: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123abcd',
      });
      const wanted: Record<LambdaFunctionName, string[]> = {
        slack: ['ssm:/canary-bot/prod/slack-bot-token', 'ssm:/canary-bot/prod/slack-signing-secret'],
        worker: ['ssm:/canary-bot/prod/slack-bot-token', 'ssm:/canary-bot/prod/webhook-secret'],
        tick: [],
        summary: ['ssm:/canary-bot/prod/slack-bot-token'],
        flagger: [
          'ssm:/canary-bot/prod/flagger-secret',
          'ssm:/canary-bot/prod/flagger-secret-previous',
          'ssm:/canary-bot/prod/slack-bot-token',
        ],
      };
      expect({ fn, asked: asked.sort() }).toEqual({ fn, asked: wanted[fn] });
    }
  });

  test('each zip holds only its bundle and stays under its budget', () => {
    for (const fn of LAMBDA_FUNCTIONS) {
      const zip = join(work, 'package', `${fn}.zip`);
      const size = statSync(zip).size;
      expect({ fn, entries: zipEntries(zip) }).toEqual({ fn, entries: [`handlers/${fn}.mjs`] });
      expect({ fn, size, fits: size <= ZIP_BUDGET[fn] }).toEqual({ fn, size, fits: true });
      const code = props(`${logicalId(fn)}LambdaFunction`).Code as JsonObject;
      expect(String(code.S3Key)).toMatch(new RegExp(`/${fn}\\.zip$`));
    }
  });

  test('the Kubernetes client is bundled only in the worker, the one writer of the mesh', async () => {
    // Prepare
    const out = join(work, 'metafile');
    // Act
    const slack = await buildLambdaBundle('slack', out);
    const worker = await buildLambdaBundle('worker', out);
    const tick = await buildLambdaBundle('tick', out);
    const flagger = await buildLambdaBundle('flagger', out);
    // Assess
    expect(bundleIncludes(slack, '@kubernetes/client-node')).toBe(false);
    expect(bundleIncludes(worker, '@kubernetes/client-node')).toBe(true);
    expect(bundleIncludes(tick, '@kubernetes/client-node')).toBe(false);
    expect(bundleIncludes(slack, '@slack/bolt')).toBe(true);
    // The Flagger gate needs the store and Slack's Web API only: no Kubernetes client, no Bolt.
    expect(bundleIncludes(flagger, '@kubernetes/client-node')).toBe(false);
    expect(bundleIncludes(flagger, '@slack/bolt')).toBe(false);
    expect(bundleIncludes(flagger, '@slack/web-api')).toBe(true);
  });
});

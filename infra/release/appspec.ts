/** The lifecycle hook the smoke-test Lambda answers: after test traffic reaches green, before production does. */
export const SMOKE_TEST_HOOK = 'AfterAllowTestTraffic';

/** What the AppSpec names for one ECS blue/green deployment. */
export interface AppSpecInput {
  readonly taskDefinitionArn: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly smokeTestFunctionName: string;
}

/** The AppSpec object for an ECS blue/green deployment (CodeDeploy AppSpec reference, version 0.0). */
export function buildAppSpec(input: AppSpecInput) {
  return {
    version: '0.0',
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: input.taskDefinitionArn,
            LoadBalancerInfo: {
              ContainerName: input.containerName,
              ContainerPort: input.containerPort,
            },
          },
        },
      },
    ],
    Hooks: [{ [SMOKE_TEST_HOOK]: input.smokeTestFunctionName }],
  };
}

/** The AppSpec as the JSON text CodeDeploy receives in `appSpecContent.content`. */
export function appSpecContent(input: AppSpecInput): string {
  return JSON.stringify(buildAppSpec(input));
}

/** The task definition ARN named by an AppSpec text, or undefined when it names none. */
export function taskDefinitionOfAppSpec(content: string | undefined): string | undefined {
  if (!content) return undefined;
  try {
    const spec = JSON.parse(content) as { Resources?: Array<{ TargetService?: { Properties?: { TaskDefinition?: unknown } } }> };
    const arn = spec.Resources?.[0]?.TargetService?.Properties?.TaskDefinition;
    return typeof arn === 'string' ? arn : undefined;
  } catch {
    // An AppSpec written as YAML by another tool: find the TaskDefinition line.
    const match = /TaskDefinition:\s*["']?([^"'\s]+)/.exec(content);
    return match?.[1];
  }
}

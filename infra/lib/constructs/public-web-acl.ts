import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** The AWS managed rule groups the web ACL runs, in this order. */
export const MANAGED_RULE_GROUPS = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'] as const;

/**
 * Rules of the common rule set that only count: it blocks request bodies over 8 KB
 * (`SizeRestrictions_BODY`), which would refuse ordinary API uploads; the gateway's own body limit
 * per route decides instead.
 */
export const COUNT_ONLY_RULES = ['SizeRestrictions_BODY'] as const;

/** Properties of a {@link PublicWebAcl}. */
export interface PublicWebAclProps {
  /** The internet-facing load balancer to protect. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Prefix of the web ACL's and its rules' CloudWatch metric names. */
  readonly metricPrefix: string;
}

/**
 * An AWS WAF v2 web ACL in front of the public load balancer: allow by default, then the AWS managed
 * common and known-bad-inputs rule groups (blocking, except `COUNT_ONLY_RULES`), with CloudWatch
 * metrics and sampled requests for each.
 */
export class PublicWebAcl extends Construct {
  /** The web ACL. */
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: PublicWebAclProps) {
    super(scope, id);
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      // A web ACL for an Application Load Balancer is REGIONAL (CLOUDFRONT is for distributions only).
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(props.metricPrefix),
      rules: MANAGED_RULE_GROUPS.map((name, priority) => ({
        name,
        priority,
        overrideAction: { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name,
            ...(name === 'AWSManagedRulesCommonRuleSet' ? { ruleActionOverrides: COUNT_ONLY_RULES.map((rule) => ({ name: rule, actionToUse: { count: {} } })) } : {}),
          },
        },
        visibilityConfig: visibility(`${props.metricPrefix}-${name}`),
      })),
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', { resourceArn: props.loadBalancer.loadBalancerArn, webAclArn: this.webAcl.attrArn });
  }
}

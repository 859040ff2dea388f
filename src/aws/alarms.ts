/**
 * CloudWatch alarms of one cluster: the writer target group (none healthy, more
 * unhealthy than the replicas account for, two healthy at once), replica lag and
 * archive failures from the metrics the members publish (NODE_METRICS).
 *
 * Members publish their metrics in their own region, and an alarm sees only its
 * region's metrics: a cluster stretched over several regions gets the member
 * alarms in each of them, the load-balancer alarms where its load balancer is.
 */
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic/index.js';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { NODE_METRICS } from '../model/constants.js';
import type { Cluster, Topology } from '../model/types.js';
import { protect } from './guard.js';

export interface ClusterAlarmsProps {
  readonly topology: Topology;
  /** Patroni scope of the cluster. */
  readonly cluster: string;
  /**
   * `arn_suffix` of the cluster's load balancer and of its writer target group (PostgreSQL listener).
   * @default none: only the alarms on the metrics of the members in this stack's region (the other
   * regions of a stretched cluster)
   */
  readonly loadBalancer?: { readonly arnSuffix: string; readonly writerTargetGroupArnSuffix: string };
  /**
   * Region of the alarms, named in their descriptions.
   * @default the cluster's first region
   */
  readonly region?: string;
  /**
   * SNS topic the alarms notify.
   * @default the spec's `observability.alarms.snsTopicArn` for the alarms' region, else a new topic encrypted with `topicKmsKeyId`
   */
  readonly topicArn?: string;
  /**
   * KMS key of a new topic (its key policy must let CloudWatch use it; ClusterKey's `allowCloudWatchAlarms`).
   * @default SNS's AWS-managed key is not usable by CloudWatch, so a new topic without this prop is unencrypted
   */
  readonly topicKmsKeyId?: string;
  /** @default the stack's default AWS provider */
  readonly provider?: TerraformProvider;
}

/** Alarms with an optional SNS topic (created when neither the prop nor the spec names one). */
export class ClusterAlarms extends Construct {
  readonly cluster: Cluster;
  readonly topicArn: string;
  readonly alarms: readonly CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: ClusterAlarmsProps) {
    super(scope, id);
    const t = props.topology;
    const c = t.clusters.find((x) => x.scope === props.cluster);
    if (!c) throw new Error(`ClusterAlarms: cluster ${props.cluster} is not in topology ${t.name}`);
    this.cluster = c;
    const pp = props.provider ? { provider: props.provider } : {};
    const region = props.region ?? c.regions[0]!;
    const given = props.topicArn ?? t.observability.alarms.snsTopicArns[region];
    this.topicArn =
      given ??
      new SnsTopic(this, 'topic', {
        ...pp,
        name: `${c.scope}-alarms`,
        ...(props.topicKmsKeyId ? { kmsMasterKeyId: props.topicKmsKeyId } : {}),
      }).arn;
    const actions = { alarmActions: [this.topicArn], okActions: [this.topicArn] };
    const local = t.members.filter((m) => m.cluster === c.scope && m.region === region).length;
    const whose = c.regions.length > 1 ? `${c.scope} in ${region} (${local} of its members)` : c.scope;
    const custom = { namespace: NODE_METRICS.namespace, dimensions: { Topology: t.name, Cluster: c.scope } };
    // The writer endpoint's alarms where the cluster's load balancer is (its first region).
    const writerAlarms: CloudwatchMetricAlarm[] = [];
    const lb = props.loadBalancer;
    if (lb) {
      const elb = {
        namespace: 'AWS/NetworkELB',
        period: 60,
        dimensions: { LoadBalancer: lb.arnSuffix, TargetGroup: lb.writerTargetGroupArnSuffix },
      };
      const replicas = c.members.length - 1;
      const writerPath = c.role === 'standby' ? 'standby leader' : 'primary';
      writerAlarms.push(
        new CloudwatchMetricAlarm(this, 'writer-none', {
          ...pp,
          ...actions,
          ...elb,
          alarmName: `${c.scope}-writer-none`,
          alarmDescription: `No healthy ${writerPath} behind the writer endpoint of ${c.scope}: writes fail.`,
          metricName: 'HealthyHostCount',
          statistic: 'Minimum',
          evaluationPeriods: 2,
          threshold: 1,
          comparisonOperator: 'LessThanThreshold',
          treatMissingData: 'breaching',
        }),
        new CloudwatchMetricAlarm(this, 'writer-unhealthy', {
          ...pp,
          ...actions,
          ...elb,
          alarmName: `${c.scope}-writer-unhealthy`,
          alarmDescription: `More writer targets of ${c.scope} fail their check than its ${replicas} replica(s) explain: the ${writerPath} fails its check.`,
          metricName: 'UnHealthyHostCount',
          statistic: 'Maximum',
          evaluationPeriods: 2,
          threshold: replicas,
          comparisonOperator: 'GreaterThanThreshold',
          treatMissingData: 'notBreaching',
        }),
        new CloudwatchMetricAlarm(this, 'writer-split', {
          ...pp,
          ...actions,
          ...elb,
          alarmName: `${c.scope}-writer-split`,
          alarmDescription: `More than one healthy ${writerPath} behind the writer endpoint of ${c.scope}.`,
          metricName: 'HealthyHostCount',
          statistic: 'Maximum',
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: 'GreaterThanThreshold',
          treatMissingData: 'notBreaching',
        }),
      );
    }
    // The members' metrics, published in their own region.
    const memberAlarms = [
      new CloudwatchMetricAlarm(this, 'replica-lag', {
        ...pp,
        ...actions,
        ...custom,
        alarmName: `${c.scope}-replica-lag`,
        alarmDescription: `A replica of ${whose} lags more than ${t.observability.alarms.replicaLagBytes} bytes.`,
        metricName: NODE_METRICS.replicaLagBytes,
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 3,
        threshold: t.observability.alarms.replicaLagBytes,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      }),
      new CloudwatchMetricAlarm(this, 'archive-failures', {
        ...pp,
        ...actions,
        ...custom,
        alarmName: `${c.scope}-archive-failures`,
        alarmDescription: `WAL archiving of ${whose} failed at least ${t.observability.alarms.archiveFailures} time(s) in 5 minutes.`,
        metricName: NODE_METRICS.archiveFailures,
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: t.observability.alarms.archiveFailures,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
      }),
    ];
    this.alarms = [...writerAlarms, ...memberAlarms];
    protect(this);
  }
}

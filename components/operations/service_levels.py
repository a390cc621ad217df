"""A tenant's service levels, measured where its users are: at the gateway.

For each site the tenant exposes (an endpoint or a GenBI UI): an uptime check from three continents
(IAP answers a request without its token with 401, or 302 for a browser: either proves DNS, the
certificate, the load balancer and IAP; the backends are covered by the SLO), a request-based
availability SLO from the load balancer's counts (5xx is bad) at the tenant's SLA, fast and slow
burn-rate alerts on it, and the certificate's expiry. Alerts go to the tenant's channels and the
platform's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.conventions import component_type
from components.operations.cloud_alerting import docs, threshold
from config.naming import Naming
from plan.entry import Exposure

m = gcp.monitoring
IAP_ANSWERS = (401, 302)  # no token: 401, or 302 to Google sign-in when the client accepts HTML
UPTIME_REGIONS = ["USA", "EUROPE", "ASIA_PACIFIC"]  # at least three, as Cloud Monitoring requires
# Google SRE workbook: page when an hour burns 2 % of a 30-day budget (14.4x), or six hours 5 % (6x).
BURN_RATES = (("3600s", 14.4, "CRITICAL"), ("21600s", 6.0, "ERROR"))
CERTIFICATE_DAYS = 14


@dataclass(frozen=True)
class ServiceLevelsArgs:
    naming: Naming
    tenant: str
    namespace: str
    sites: tuple[Exposure, ...]
    sla: float  # percent: the SLO's goal
    request_metric: str  # the load balancer's request count (regional external or internal)
    lb_resource: str  # its monitored resource type
    uptime_period: str
    internal: bool  # an internal gateway: uptime checkers cannot reach it
    channels: list[pulumi.Input[str]]  # the tenant's and the platform's


def backend_filter(namespace: str, backend: str) -> str:
    """GKE names a gateway's backend service gkegw1-<hash>-<namespace>-<service>-<port>-<hash>."""
    return f'resource.labels.backend_target_name=monitoring.regex.full_match("gkegw1-.*-{namespace}-{backend}-.*")'


class ServiceLevels(pulumi.ComponentResource):
    """Outputs: ``slos`` (site -> SLO name), ``uptime_checks`` (site -> check id)."""

    def __init__(self, name: str, args: ServiceLevelsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(component_type("operations", "ServiceLevels"), name, None, opts)
        naming, child = args.naming, pulumi.ResourceOptions(parent=self)
        project, labels = naming.project, naming.labels("operations", args.tenant)
        title = f"{naming.prefix}-{naming.environment} {args.tenant}"
        self.slos: dict[str, pulumi.Output[str]] = {}
        self.uptime_checks: dict[str, pulumi.Output[str]] = {}
        for site in args.sites:
            key = f"{name}-{site.name}"
            service = m.CustomService(
                f"{key}-service", project=project, service_id=f"{naming.environment}-{args.tenant}-{site.name}",
                display_name=f"{title}/{site.name}", user_labels=labels, opts=child)
            total = (f'metric.type="{args.request_metric}" resource.type="{args.lb_resource}" '
                     + backend_filter(args.namespace, site.target))
            slo = m.Slo(
                f"{key}-availability", project=project, service=service.service_id, slo_id="availability",
                display_name=f"{site.name}: {args.sla:g} % of requests without a 5xx, 28 days", goal=args.sla / 100,
                rolling_period_days=28, request_based_sli=m.SloRequestBasedSliArgs(
                    good_total_ratio=m.SloRequestBasedSliGoodTotalRatioArgs(
                        total_service_filter=total, bad_service_filter=f"{total} metric.labels.response_code_class=500")),
                user_labels=labels, opts=child)
            self.slos[site.name] = slo.name
            for window, rate, severity in BURN_RATES:
                m.AlertPolicy(
                    f"{key}-burn-{window}", project=project, severity=severity, combiner="OR",
                    display_name=f"{title}/{site.name}: error budget burning {rate:g}x",
                    conditions=[m.AlertPolicyConditionArgs(
                        display_name=f"burn rate over {window}", condition_threshold=m.AlertPolicyConditionConditionThresholdArgs(
                            filter=slo.name.apply(lambda n, w=window: f'select_slo_burn_rate("{n}", "{w}")'),
                            comparison="COMPARISON_GT", threshold_value=rate, duration="0s"))],
                    notification_channels=args.channels, user_labels=labels,
                    documentation=docs(f"https://{site.hostname} answers 5xx {rate:g} times as often as its "
                                       f"{args.sla:g} % SLO allows. Check the backend's pods and the gateway's "
                                       "backend health in the console."), opts=child)
            if args.internal:
                continue  # Cloud Monitoring's checkers are on the internet; an internal gateway needs private checks
            check = m.UptimeCheckConfig(
                f"{key}-uptime", project=project, display_name=f"{title}/{site.name}", timeout="10s",
                period=args.uptime_period, selected_regions=UPTIME_REGIONS, user_labels=labels,
                http_check=m.UptimeCheckConfigHttpCheckArgs(
                    path="/", port=443, use_ssl=True, validate_ssl=True, request_method="GET",
                    accepted_response_status_codes=[
                        m.UptimeCheckConfigHttpCheckAcceptedResponseStatusCodeArgs(status_value=code)
                        for code in IAP_ANSWERS]),
                monitored_resource=m.UptimeCheckConfigMonitoredResourceArgs(
                    type="uptime_url", labels={"project_id": project, "host": site.hostname}),
                opts=child)
            self.uptime_checks[site.name] = check.uptime_check_id
            checked = check.uptime_check_id.apply(
                lambda i: f'resource.type="uptime_url" AND metric.labels.check_id="{i}" AND ')
            m.AlertPolicy(
                f"{key}-uptime-failing", project=project, severity="CRITICAL", combiner="OR",
                display_name=f"{title}/{site.name}: unreachable",
                conditions=[m.AlertPolicyConditionArgs(display_name="uptime check failing from two regions",
                    condition_threshold=threshold(
                        checked.apply(lambda c: c + 'metric.type="monitoring.googleapis.com/uptime_check/check_passed"'),
                        "COMPARISON_GT", 1, "300s", "ALIGN_NEXT_OLDER", "1200s", "REDUCE_COUNT_FALSE",
                        ["resource.label.host"]))],
                notification_channels=args.channels, user_labels=labels,
                documentation=docs(f"https://{site.hostname} does not answer as IAP would (401/302): DNS, the "
                                   "certificate or the gateway is down."), opts=child)
            m.AlertPolicy(
                f"{key}-certificate", project=project, severity="WARNING", combiner="OR",
                display_name=f"{title}/{site.name}: certificate expires within {CERTIFICATE_DAYS} days",
                conditions=[m.AlertPolicyConditionArgs(display_name="days until the certificate expires",
                    condition_threshold=threshold(
                        checked.apply(lambda c: c + 'metric.type="monitoring.googleapis.com/uptime_check/'
                                                    'time_until_ssl_cert_expires"'),
                        "COMPARISON_LT", CERTIFICATE_DAYS, "600s", "ALIGN_MIN", "1200s", "REDUCE_MIN"))],
                notification_channels=args.channels, user_labels=labels,
                documentation=docs("Certificate Manager renews managed certificates by itself: an expiring one "
                                   "means its DNS authorization no longer resolves (docs/entry.md)."), opts=child)
        self.register_outputs({"slos": self.slos, "uptime_checks": self.uptime_checks})

#!/usr/bin/env bash
# The original service's two REST calls: POST one report, then GET its history back.
#
#   bash examples/rest-v1.sh
#
# METRICS_BASE is the server's base URL (default http://127.0.0.1:8888); METRICS_TOKEN, when set, is
# sent as a bearer token (the POST needs scope `ingest`, the GET scope `read`).
# After the POST it prints {"entries":[{"date":"2018-07-12T13:30:00.000Z","value":0.2148631642976225}]}.
set -euo pipefail

base="${METRICS_BASE:-http://127.0.0.1:8888}"
auth=()
if [ -n "${METRICS_TOKEN:-}" ]; then auth=(--header "Authorization: Bearer $METRICS_TOKEN"); fi

# POST /api/v1/metrics: one window of one client, as in the original README. 200 with an empty body.
curl --silent --show-error --fail-with-body "${auth[@]}" \
  --header "Content-Type: application/json" \
  --data '{
            "user_id": "6a:d6:96:d3:45:35",
            "start_timestamp": 1531402660605,
            "end_timestamp": 1531402665626,
            "observations_per_metric": 100,
            "os_type": "Linux",
            "os_version": "18.04 LTS",
            "metrics": [
              {
                "type": "CPU",
                "avg_utilization": 0.2148631642976225,
                "var_utilization": 0.005718669350831782,
                "avg_utilization_by_core": [0.19575989029493227, 0.19210218632004747, 0.24848360030511063, 0.18310711960197185],
                "var_utilization_by_core": [0.0033936742208834853, 0.002245358139130047, 4.7853845483180853E-4, 0.0030582163825456816],
                "name": "CpuUtilization"
              }
            ]
          }' \
  "$base/api/v1/metrics"

# GET /api/v1/metrics/:metric/byUser/:userId: the history, resampled to 15 minutes. The original read its
# parameters from a JSON body sent with GET, which curl does with --data and -X GET.
curl --silent --show-error --fail-with-body "${auth[@]}" \
  --header "Content-Type: application/json" \
  -X GET \
  --data '{"start": "2018-07-12T12:15:00Z", "end": "2018-07-12T16:15:00Z", "resample_rate": "15m"}' \
  "$base/api/v1/metrics/cpuLoadAvg/byUser/6a:d6:96:d3:45:35"
echo

"""Calls every operation of the service through a client generated from its OpenAPI document
alone (openapi-python-client), against the running service, and fails unless each answers
as the document says: a documented status, a 2xx where the call is valid, and a body the
generated models parse.

    python3 call_every_operation.py BASE_URL OPENAPI_JSON CLIENT_PARENT_DIR

CLIENT_PARENT_DIR holds the generated package `rp_client`. Every operationId of the document
must be called here: an operation added to the service without a call below fails this check.
"""

import importlib
import json
import sys
import time

base, spec_path, client_dir = sys.argv[1:4]
sys.path.insert(0, client_dir)

from rp_client import AuthenticatedClient  # noqa: E402
from rp_client.models import (  # noqa: E402
    AllTasks,
    Batch,
    CustomScenarioBody,
    GenerateRequest,
    GenerationConfig,
    JobAccepted,
    JobView,
    ScenarioAccepted,
    ScenarioDetail,
    SingleEvent,
    Started,
    StartScenarioRequest,
    StoppedAll,
    StoppedOne,
    Task,
)

spec = json.load(open(spec_path))
operations = {
    op["operationId"]: (method.upper(), path, op["tags"][0])
    for path, item in spec["paths"].items()
    for method, op in item.items()
}
# No token is configured on the service under test; the generated client wants one for the
# operations the document marks as secured.
client = AuthenticatedClient(base_url=base, token="unused", timeout=120.0,
                             raise_on_unexpected_status=True)
called = set()


def call(operation_id, *args, expect=(200,), **kwargs):
    """Calls one operation through its generated module; returns the parsed response."""
    _, _, tag = operations[operation_id]
    name = operation_id + "_" if operation_id in ("list",) else operation_id
    module = importlib.import_module(f"rp_client.api.{tag}.{name}")
    response = module.sync_detailed(*args, client=client, **kwargs)
    status = int(response.status_code)
    if status not in expect:
        sys.exit(f"{operation_id}: status {status}, expected {expect}: {response.content[:300]!r}")
    documented = spec["paths"][operations[operation_id][1]][
        operations[operation_id][0].lower()]["responses"]
    if str(status) not in documented:
        sys.exit(f"{operation_id}: status {status} is not in the document")
    called.add(operation_id)
    return response.parsed


def wait_for(job_id, states=("completed",)):
    deadline = time.time() + 120
    while True:
        job = call("job", job_id)
        assert isinstance(job, JobView), job
        state = str(job.state.value if hasattr(job.state, "value") else job.state)
        if state != "running":
            if state not in states:
                sys.exit(f"job {job_id} ended {state}: {job.to_dict()}")
            return job
        if time.time() > deadline:
            sys.exit(f"job {job_id} still running")
        time.sleep(0.2)


for probe in ("health", "healthz", "ready", "readyz", "metrics"):
    call(probe)

accepted = call("generate", body=GenerateRequest(date="2026-11-20", hour=18), expect=(202,))
assert isinstance(accepted, JobAccepted), accepted
wait_for(accepted.job_id)
report = call("refresh", wait=True)
assert isinstance(report, JobView), report

day = "2026-11-20"
for query in ("sales_by_category", "sales_by_hour", "revenue_by_store", "stock_by_hour",
              "basket_stats"):
    rows = call(query, date=day)
    if not rows:
        sys.exit(f"{query}: no rows for {day}")
for query in ("store_hour_kpis", "sales_heatmap"):
    if not call(query, date=day):
        sys.exit(f"{query}: no rows for {day}")
if not call("category_change", to=day, days=1):
    sys.exit(f"category_change: no rows for the day to {day}")
# The stream queries answer over the last minutes; nothing may have streamed yet, so only
# the status and the models are checked here (their values in tests/stream_analytics.rs).
for query in ("stream_rates", "orders_per_minute", "dead_letters_by_reason", "landing_latency",
              "events_by_store"):
    call(query, minutes=5)
steps = call("activity_funnel", minutes=5)
if [s.step for s in steps] != ["page_view", "product_view", "add_to_cart", "checkout", "purchase"]:
    sys.exit(f"activity_funnel: steps {steps}")
top = call("top_products", date=day, limit=3)
if not 0 < len(top) <= 3:
    sys.exit(f"top_products: {len(top)} rows for limit 3")
call("dashboard", from_=day, to=day)
call("data", from_=day, to=day)
call("status")
scenarios = call("list")
if not scenarios:
    sys.exit("list: no scenarios")
for event_type in ("order", "inventory", "user_activity"):
    call("sample", event_type)

# A named and a custom scenario, each cancelled: one runs at a time.
started = call("start_named", "stress_test", body=StartScenarioRequest(seed=7), expect=(202,))
assert isinstance(started, ScenarioAccepted) and started.task_id == started.job_id, started
call("cancel", started.job_id, expect=(200, 202))
wait_for(started.job_id, states=("cancelled", "completed"))
custom = CustomScenarioBody(events_per_minute=600, duration_minutes=1, event_types=["order"])
started = call("start_custom", body=custom, expect=(202,))
call("cancel", started.job_id, expect=(200, 202))
wait_for(started.job_id, states=("cancelled", "completed"))

# Seed 003's surface: the same scenarios, jobs and bus under its paths and names.
for probe in ("seed003_root", "seed003_liveness", "seed003_readiness"):
    call(probe)
detail = call("seed003_scenario", "light_demo")
assert isinstance(detail, ScenarioDetail) and detail.total_events == 150, detail
for event_type in ("order", "inventory", "user_activity"):
    single = call("seed003_generate_single", event_type)
    assert isinstance(single, SingleEvent) and single.status == "success", single
batch = call("seed003_generate_batch", body=GenerationConfig(
    events_per_minute=30, event_types=["order", "inventory", "user_activity"], environment="dev"))
assert isinstance(batch, Batch) and batch.successful_events == 30, batch
config = GenerationConfig(events_per_minute=600, duration_minutes=1, event_types=["order"],
                          environment="dev")
task = call("seed003_generate_start", body=config)
assert isinstance(task, Started) and task.config.environment == "dev", task
tasks = call("seed003_status_all")
assert isinstance(tasks, AllTasks) and task.task_id in tasks.tasks.additional_properties, tasks
polled = call("seed003_status_task", task.task_id)
assert isinstance(polled, Task) and polled.id == task.task_id, polled
stopped = call("seed003_stop_task", task.task_id)
assert isinstance(stopped, StoppedOne) and stopped.task_id == task.task_id, stopped
task = call("seed003_generate_start", body=config)
stopped = call("seed003_stop_task_by_status_path", task.task_id)
assert isinstance(stopped, StoppedOne) and stopped.task_info.status == "stopped", stopped
task = call("seed003_generate_start", body=config)
all_stopped = call("seed003_stop_all")
assert isinstance(all_stopped, StoppedAll) and task.task_id in all_stopped.stopped_tasks, all_stopped

missing = sorted(set(operations) - called)
if missing:
    sys.exit(f"operations of the document this check did not call: {missing}")
print(f"openapi: the generated client called all {len(called)} operations")

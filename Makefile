# The two commands a newcomer needs (see README).
.PHONY: demo test setup bench bench-smoke bench-icount bench-asgi bench-lmi

demo:  ## set up, then run the local streaming demo (no AWS account needed)
	scripts/demo.sh

test:  ## set up, then lint, type-check and run every test tier
	scripts/test.sh

setup:  ## only install what the other targets need
	scripts/setup.sh

bench:  ## install the peers (bench/.peers/), run the benchmark (~9 min), write docs/benchmarks.md + chart
	scripts/setup.sh && bench/setup_peers.sh
	.venv/bin/python -m bench --markdown docs/benchmarks.md --chart docs/images/bench.png $(BENCH_ARGS)

bench-smoke:  ## seconds: our runtime and the null sender, tiny counts (make test runs it too)
	scripts/setup.sh && .venv/bin/python -m bench --smoke $(BENCH_ARGS)

bench-icount:  ## instructions per invocation under callgrind: ours, awslambdaric, Node (~2 min; any load)
	scripts/setup.sh && bench/setup_peers.sh
	.venv/bin/python -m bench.icount $(ICOUNT_ARGS)

bench-asgi:  ## one FastAPI app: asgi_handler on our runtime vs uvicorn vs Mangum (~1 min)
	scripts/setup.sh
	.venv/bin/python -m bench.asgi $(ASGI_ARGS)

bench-lmi:  ## many streams in one Managed Instances environment: ours, awslambdaric, Node (~3 min)
	scripts/setup.sh && bench/setup_peers.sh
	BENCH_LMI_QUIET=1 .venv/bin/python -m bench.lmi $(LMI_ARGS)
	bench/.peers/venv/bin/python bench/lmi_chart.py

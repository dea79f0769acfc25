# The two commands a newcomer needs (see README).
.PHONY: demo test setup

demo:  ## set up, then run the local streaming demo (no AWS account needed)
	scripts/demo.sh

test:  ## set up, then lint, type-check and run every test tier
	scripts/test.sh

setup:  ## only install what the other targets need
	scripts/setup.sh

# The README's two commands:  make demo   and   make test
# Both first run tools/setup_env.sh, which makes .venv (python3.11, torch CPU, ROS 2 Kilted wheels),
# builds msg/ (depth_restore_ros_msgs) into it and installs this package; a no-op run takes ~1 s.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python

# Tests talk DDS: a random domain per run (1..100) unless one is given, and discovery kept to this
# machine, so two test runs (or a robot on the network) don't hear each other.
ifeq ($(origin ROS_DOMAIN_ID),undefined)
ROS_DOMAIN_ID := $(shell echo $$(( RANDOM % 100 + 1 )))
endif
ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST
export ROS_DOMAIN_ID ROS_AUTOMATIC_DISCOVERY_RANGE
# The ROS wheels' bootstrapper (.pth) re-executes python once with LD_LIBRARY_PATH set and marks that
# in this variable; one inherited from another venv's python would skip it, so drop it.
unexport _ROS_WHEELS_BOOTSTRAP_COMPLETE

.PHONY: setup demo test clean distclean

setup:
	@bash tools/setup_env.sh

demo: setup
	$(VENV)/bin/depth-restore demo

# A subset or extra pytest arguments: make test TESTS=test/test_setup.py PYTEST_ARGS="-x -v"
TESTS ?= test
test: setup
	@echo "[test] ROS_DOMAIN_ID=$(ROS_DOMAIN_ID)"
	$(PY) -m pytest -q $(TESTS) $(PYTEST_ARGS)

# Build outputs; the next `make setup` rebuilds the messages and reinstalls the package.
clean:
	rm -rf build *.egg-info $(VENV)/.depth_restore_ros-setup.stamp
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Everything setup made, .venv included (a fresh setup takes minutes).
distclean: clean
	rm -rf $(VENV)

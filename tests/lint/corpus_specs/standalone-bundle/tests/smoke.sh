#!/bin/sh
juju deploy ./bundle.yaml --dry-run

"""What-if: a proposed target tried against past closed hours before it is saved."""

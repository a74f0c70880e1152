{#- The columns every provider's FOCUS rows carry, in cost_and_usage's order (before the FOCUS string and
    unit rules): what int_cost_and_usage__focus_rows unions by name. -#}
{% macro provider_row_columns() %}
    {{ return([
        'billed_cost', 'effective_cost', 'list_cost', 'contracted_cost', 'billing_currency',
        'charge_period_start', 'charge_period_end', 'billing_period_start', 'billing_period_end',
        'charge_category', 'charge_class', 'charge_frequency', 'charge_description',
        'consumed_quantity', 'consumed_unit', 'pricing_quantity', 'pricing_unit', 'list_unit_price',
        'contracted_unit_price', 'service_provider_name', 'host_provider_name', 'invoice_issuer_name',
        'billing_account_id', 'billing_account_name', 'sub_account_id', 'sub_account_name',
        'region_id', 'region_name', 'service_name', 'service_category', 'service_subcategory_known', 'sku_id',
        'sku_price_id', 'sku_meter', 'sku_price_details', 'pricing_currency', 'pricing_currency_list_unit_price',
        'pricing_currency_contracted_unit_price', 'pricing_currency_effective_cost',
        'x_source', 'x_source_key', 'x_cost_status', 'x_billable_metric_id', 'x_billable_metric_name',
        'x_product_family_name', 'x_zone_id', 'x_zone_name', 'x_prompt_tokens', 'x_completion_tokens',
        'x_original_currency', 'x_original_amount', 'x_load_id'
    ]) }}
{% endmacro %}

{#- The newest dlt load cost_and_usage has taken in, as a SQL literal ('' when it is empty or absent).
    Read before the build, so a constant reaches the raw tables' scans. -#}
{% macro last_load_taken_in() %}
    {%- if not execute -%}{{ return("''") }}{%- endif -%}
    {%- set target = adapter.get_relation(database=this.database, schema=this.schema, identifier='cost_and_usage') -%}
    {%- if target is none or flags.FULL_REFRESH -%}{{ return(none) }}{%- endif -%}
    {%- set found = run_query('select max(x_load_id) from ' ~ target).columns[0].values()[0] -%}
    {{ return("'" ~ (found or '') ~ "'") }}
{% endmacro %}

{#- cost_and_usage's columns in their order: FOCUS 1.3 in snake_case, then the x_ columns. cost_and_usage and
    its versioned views select this list (`renamed` maps a column to the expression a view shows instead), so
    a column is added in one place. -#}
{% macro cost_and_usage_columns(renamed={}) %}
    {%- set columns = [
        'billed_cost', 'effective_cost', 'list_cost', 'contracted_cost', 'billing_currency', 'charge_period_start',
        'charge_period_end', 'billing_period_start', 'billing_period_end', 'charge_category', 'charge_class',
        'charge_frequency', 'charge_description', 'invoice_id', 'consumed_quantity', 'consumed_unit',
        'pricing_quantity', 'pricing_unit', 'list_unit_price', 'contracted_unit_price', 'pricing_category',
        'service_provider_name', 'host_provider_name', 'invoice_issuer_name', 'billing_account_id',
        'billing_account_name', 'sub_account_id', 'sub_account_name', 'region_id', 'region_name', 'service_name',
        'service_category', 'service_subcategory', 'sku_id', 'sku_price_id', 'sku_meter', 'sku_price_details',
        'pricing_currency', 'pricing_currency_list_unit_price', 'pricing_currency_contracted_unit_price',
        'pricing_currency_effective_cost', 'commitment_discount_status', 'x_source', 'x_source_key',
        'x_cost_status', 'x_billable_metric_id', 'x_billable_metric_name', 'x_product_family_name', 'x_zone_id',
        'x_zone_name', 'x_prompt_tokens', 'x_completion_tokens', 'x_original_currency', 'x_original_amount',
        'x_delivered_consumed_unit', 'x_delivered_pricing_unit', 'x_load_id'
    ] -%}
    {%- set shown = [] -%}
    {%- for column in columns %}{% do shown.append(renamed.get(column, column)) %}{% endfor -%}
    {{ return(shown) }}
{% endmacro %}

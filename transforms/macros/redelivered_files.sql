{#- A provider re-delivers a month's FOCUS export until the month closes, often with fewer rows. The raw table
    replaces the file's rows (merge on x_file); cost_and_usage replaces rows by key, which would leave the rows
    past the new file's end. So before an incremental build takes in new loads, every cost_and_usage row of a
    file those loads bring is removed; the new version's rows then come in whole. -#}
{% macro delete_redelivered_files() %}
    {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
    {%- set raw = source('finops', 'focus_files_cost_and_usage') -%}
    {%- if adapter.get_relation(database=raw.database, schema=raw.schema, identifier=raw.identifier) is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set taken_in = last_load_taken_in() -%}
    delete from {{ this }}
    where x_source = 'focus_files'
      and exists (
        select 1 from (select distinct x_file from {{ raw }} where _dlt_load_id > {{ taken_in }}) as redelivered
        where left({{ this }}.x_source_key, length(redelivered.x_file) + 1) = redelivered.x_file || '#'
      )
{% endmacro %}

"""``CosS3Client``: the signing client of ``_cos_sign`` under the SDK's name, whose other
methods (``put_object``...) say where to find them. A Python subclass with no ``__getattr__``,
so that ``client.get_auth`` is looked up as fast as a method of the Rust class."""

from __future__ import annotations

from ._cos_sign import CosS3Client as _Client

__all__ = ["CosS3Client"]

# The methods of qcloud_cos 1.9.44's CosS3Client that cos_sign does not have (requests to COS).
_SDK_ONLY = """
abort_multipart_upload append_object bucket_exists change_object_storage_class
ci_auditing_audio_query ci_auditing_audio_submit ci_auditing_document_query
ci_auditing_document_submit ci_auditing_html_query ci_auditing_html_submit
ci_auditing_image_batch ci_auditing_image_query ci_auditing_live_video_cancle
ci_auditing_live_video_submit ci_auditing_query_common ci_auditing_report_badcase
ci_auditing_submit_common ci_auditing_text_query ci_auditing_text_submit ci_auditing_video_query
ci_auditing_video_submit ci_auditing_virus_query ci_auditing_virus_submit ci_cancel_jobs
ci_close_ai_bucket ci_close_asr_bucket ci_close_pic_bucket ci_create_asr_job
ci_create_asr_template ci_create_doc_job ci_create_file_compress_job ci_create_file_hash_job
ci_create_file_uncompress_job ci_create_inventory_trigger_jobs ci_create_media_jobs
ci_create_media_pic_jobs ci_create_template ci_create_workflow ci_delete_asr_template
ci_delete_image_style ci_delete_inventory_trigger_jobs ci_delete_template ci_delete_workflow
ci_doc_preview_html_process ci_doc_preview_process ci_download_compress_image
ci_file_zip_preview ci_get_ai_bucket ci_get_ai_queue ci_get_asr_bucket ci_get_asr_job
ci_get_asr_queue ci_get_asr_template ci_get_bucket ci_get_doc_bucket ci_get_doc_job
ci_get_doc_queue ci_get_file_process_jobs ci_get_hls_play_key ci_get_image_aigc_metadata
ci_get_image_ave_info ci_get_image_exif_info ci_get_image_info ci_get_image_style
ci_get_inventory_trigger_jobs ci_get_media_aigc_metadata ci_get_media_bucket ci_get_media_jobs
ci_get_media_pic_jobs ci_get_media_pic_queue ci_get_media_queue ci_get_object
ci_get_object_qrcode ci_get_pic_bucket ci_get_template ci_get_workflow ci_get_workflowexecution
ci_image_assess_quality ci_image_detect_car ci_image_detect_label ci_image_inspect
ci_image_process ci_list_asr_jobs ci_list_doc_jobs ci_list_inventory_trigger_jobs
ci_list_media_jobs ci_list_media_pic_jobs ci_list_workflowexecution ci_ocr_process
ci_open_ai_bucket ci_open_asr_bucket ci_open_pic_bucket ci_process ci_put_image_style
ci_put_object ci_put_object_from_local_file ci_put_object_from_local_file_and_get_qrcode
ci_qrcode_generate ci_recognize_logo_process ci_super_resolution_process ci_trigger_workflow
ci_update_ai_queue ci_update_asr_queue ci_update_asr_template ci_update_doc_queue
ci_update_hls_play_key ci_update_media_pic_queue ci_update_media_queue ci_update_template
ci_update_workflow ci_update_workflow_state complete_multipart_upload copy copy_object
create_bucket create_multipart_upload delete_bucket delete_bucket_cors delete_bucket_domain
delete_bucket_domain_certificate delete_bucket_encryption delete_bucket_inventory
delete_bucket_lifecycle delete_bucket_origin delete_bucket_policy delete_bucket_referer
delete_bucket_replication delete_bucket_response_control delete_bucket_tagging
delete_bucket_website delete_live_channel delete_object delete_object_tagging delete_objects
download_file file_hash generate_built_in_connection_pool get_async_fetch_task get_bucket_acl
get_bucket_cors get_bucket_domain get_bucket_domain_certificate get_bucket_encryption
get_bucket_intelligenttiering get_bucket_intelligenttiering_v2 get_bucket_inventory
get_bucket_lifecycle get_bucket_location get_bucket_logging get_bucket_meta
get_bucket_object_lock get_bucket_origin get_bucket_policy get_bucket_referer
get_bucket_replication get_bucket_response_control get_bucket_tagging get_bucket_versioning
get_bucket_website get_live_channel_history get_live_channel_info get_live_channel_status
get_media_info get_object get_object_acl get_object_sensitive_content_recognition
get_object_tagging get_pm3u8 get_retry_exe_times get_rtmp_signed_url get_snapshot get_symlink
get_vod_playlist handle_built_in_connection_pool_by_pid head_bucket head_object
inc_retry_exe_times list_bucket_intelligenttiering_configurations
list_bucket_inventory_configurations list_buckets list_live_channel list_multipart_uploads
list_objects list_objects_versions list_parts object_exists post_bucket_inventory
post_vod_playlist put_async_fetch_task put_bucket_acl put_bucket_cors put_bucket_domain
put_bucket_domain_certificate put_bucket_encryption put_bucket_intelligenttiering
put_bucket_intelligenttiering_v2 put_bucket_inventory put_bucket_lifecycle put_bucket_logging
put_bucket_object_lock put_bucket_origin put_bucket_policy put_bucket_referer
put_bucket_replication put_bucket_response_control put_bucket_tagging put_bucket_versioning
put_bucket_website put_live_channel put_live_channel_switch put_object put_object_acl
put_object_from_local_file put_object_tagging put_symlink restore_object select_object_content
send_request should_switch_domain update_object_meta upload_file upload_file_from_buffer
upload_part upload_part_copy
""".split()


class _SdkOnly:
    """A method of qcloud_cos's client that is not here: reading it raises AttributeError."""

    def __init__(self, name):
        self._name = name

    def __get__(self, obj, objtype=None):
        name = self._name
        raise AttributeError(
            f"'CosS3Client' object has no attribute '{name}': cos_sign covers signing only "
            f"(get_auth, get_presigned_url, get_presigned_download_url, get_object_url); "
            f"for {name} use qcloud_cos.CosS3Client"
        )


class CosS3Client(_Client):
    """``CosS3Client(conf, retry=3, session=None)`` of qcloud_cos 1.9.44, with its signing and
    URL methods."""

    __slots__ = ()


for _name in _SDK_ONLY:
    setattr(CosS3Client, _name, _SdkOnly(_name))
del _name
